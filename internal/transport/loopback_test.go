package transport

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLoopbackDialsOnlyThisMachine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	c := Loopback(2*time.Second, nil)
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Addresses beyond the machine, and names (which would need a lookup),
	// are refused before anything is sent. 192.0.2.1 is TEST-NET-1.
	for _, u := range []string{"http://192.0.2.1:8384/", "http://localhost.example:8384/", "http://[2001:db8::1]:8384/"} {
		if _, err := c.Get(u); !errors.Is(err, ErrNotLoopback) {
			t.Errorf("Get(%s) = %v, want ErrNotLoopback", u, err)
		}
	}
}
