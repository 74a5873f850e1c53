package transporttest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/proxy"
)

func TestDoH(t *testing.T) {
	srv := httptest.NewServer(DoH(map[string]string{"news.example": "192.0.2.7"}))
	defer srv.Close()
	ask := func(name string) dnsmessage.Message {
		q := dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true}, Questions: []dnsmessage.Question{
			{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}}}
		b, _ := q.Pack()
		resp, err := http.Post(srv.URL, "application/dns-message", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m dnsmessage.Message
		if err := m.Unpack(body); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	if m := ask("news.example."); m.ID != 7 || len(m.Answers) != 1 || m.Answers[0].Body.(*dnsmessage.AResource).A != [4]byte{192, 0, 2, 7} {
		t.Errorf("known name: %+v", m)
	}
	if m := ask("other.example."); m.RCode != dnsmessage.RCodeNameError {
		t.Errorf("unknown name: %v", m.RCode)
	}
	if resp, err := http.Post(srv.URL, "text/plain", bytes.NewReader([]byte("x"))); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("not a query: %v %v", resp.StatusCode, err)
	}
}

func origin(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "origin") }))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestSOCKS5(t *testing.T) {
	to := origin(t)
	s := &SOCKS5{User: "u", Pass: "p", Remap: RemapNames(map[string]string{"site.example": "127.0.0.1"})}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, port, _ := net.SplitHostPort(to)
	get := func(user, pass string) (string, error) {
		d, _ := proxy.SOCKS5("tcp", s.Addr(), &proxy.Auth{User: user, Password: pass}, proxy.Direct)
		tr := &http.Transport{DialContext: func(ctx context.Context, n, a string) (net.Conn, error) { return d.Dial(n, a) }}
		resp, err := (&http.Client{Transport: tr}).Get("http://site.example:" + port + "/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	if body, err := get("u", "p"); err != nil || body != "origin" {
		t.Errorf("through the proxy: %q %v", body, err)
	}
	if _, err := get("u", "wrong"); err == nil {
		t.Error("a wrong password got through")
	}
	if tg := s.Targets(); len(tg) != 1 || tg[0] != "site.example:"+port {
		t.Errorf("targets %v: the name, as asked", tg)
	}
}

func TestHTTPProxy(t *testing.T) {
	to := origin(t)
	p := &HTTPProxy{User: "u", Pass: "p"}
	srv := httptest.NewServer(p)
	defer srv.Close()
	for _, tt := range []struct {
		proxyURL string
		ok       bool
	}{{p.URL(srv.Listener.Addr().String()), true}, {"http://u:wrong@" + srv.Listener.Addr().String(), false}} {
		pu, _ := url.Parse(tt.proxyURL)
		// CONNECT is used for https only; ask for it by hand.
		c, err := net.Dial("tcp", pu.Host)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodConnect, "http://"+to, nil)
		req.Host = to
		pw, _ := pu.User.Password()
		req.SetBasicAuth(pu.User.Username(), pw)
		req.Header.Set("Proxy-Authorization", req.Header.Get("Authorization"))
		req.Write(c)
		buf := make([]byte, 12)
		io.ReadFull(c, buf)
		c.Close()
		if got := string(buf[9:12]) == "200"; got != tt.ok {
			t.Errorf("%s: answered %q", tt.proxyURL, buf)
		}
	}
}
