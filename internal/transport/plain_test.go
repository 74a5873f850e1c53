package transport

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// What a misbehaving server does is said in plain words, with Go's own
// words kept for the detail.
func TestPlainWords(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<rss>"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/chain/"))
		http.Redirect(w, r, fmt.Sprint("/chain/", n+1), http.StatusFound)
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("<rss>cut"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := testClient()
	defer c.Close()
	tests := []struct{ path, want string }{
		{"/hang", "the server did not answer within 1 s"},
		{"/stall", "the server stopped sending after 2 s"},
		{"/chain/0", "more than 10 redirects"},
		{"/short", "the connection closed before the end"},
		{"javascript:alert(1)", "only http and https addresses can be followed"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			u := srv.URL + tt.path
			if strings.Contains(tt.path, ":") {
				u = tt.path
			}
			_, err := c.Fetch(context.Background(), &Request{URL: u})
			var te *Error
			if !asError(err, &te) {
				t.Fatalf("err %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%q does not say %q", err, tt.want)
			}
			for _, goWords := range []string{"context deadline", "net/http:", "unexpected EOF", "Get \""} {
				if strings.Contains(err.Error(), goWords) {
					t.Errorf("%q is in Go's words (%s)", err, goWords)
				}
			}
			if te.Detail() == "" || !strings.Contains(te.Detail(), string(te.Verdict())) {
				t.Errorf("no detail: %q", te.Detail())
			}
		})
	}
}
