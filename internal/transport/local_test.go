package transport

import (
	"context"
	"net"
	"testing"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// listen serves each connection with answer: it reads the greeting and
// writes reply (nil: closes at once).
func listen(t *testing.T, reply []byte) string {
	t.Helper()
	l, err := transporttest.ServeTCP("127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 16)
		c.Read(buf)
		if reply != nil {
			c.Write(reply)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

func TestFindLocalProxies(t *testing.T) {
	open := listen(t, []byte{5, 0})
	withPassword := listen(t, []byte{5, 2})
	web := listen(t, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	httpProxy := listen(t, []byte("HTTP/1.1 502 Bad Gateway\r\n\r\n"))
	httpLocked := listen(t, []byte("HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"))
	refuses := listen(t, []byte{5, 0xff})
	closes := listen(t, nil)
	// A port nothing listens on: take one and give it back.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	nobody := l.Addr().String()
	l.Close()

	env := map[string]string{
		"ALL_PROXY":   "socks5://127.0.0.1:1081",
		"https_proxy": "http://proxy.lan:3128",
		"HTTP_PROXY":  "socks5://" + open, // the same as a probed one: listed once
	}
	got := FindLocalProxies(context.Background(), []LocalCandidate{
		{Addr: open, Tool: "Tor"}, {Addr: withPassword, Tool: "Clash"}, {Addr: web, Tool: "web"}, {Addr: refuses, Tool: "no"},
		{Addr: closes, Tool: "closes"}, {Addr: nobody, Tool: "nobody"},
		{Addr: httpProxy, Tool: "v2rayN (HTTP)", HTTP: true}, {Addr: httpLocked, Tool: "locked (HTTP)", HTTP: true},
		{Addr: web, Tool: "web (HTTP)", HTTP: true}, {Addr: open, Tool: "SOCKS asked for HTTP", HTTP: true},
	}, func(k string) string { return env[k] }, nil)

	want := []struct {
		route, tool string
		password    bool
	}{
		{"socks5://" + open, "Tor", false},
		{"socks5://" + withPassword, "Clash", true},
		{"http://" + httpProxy, "v2rayN (HTTP)", false},
		{"http://" + httpLocked, "locked (HTTP)", true},
		{"socks5://127.0.0.1:1081", "ALL_PROXY", false},
		{"http://proxy.lan:3128", "HTTPS_PROXY", false},
	}
	if len(got) != len(want) {
		t.Fatalf("found %d: %+v", len(got), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Proxy.Route() != w.route || g.Tool != w.tool || g.NeedsPassword != w.password {
			t.Errorf("%d: got %s %s %v, want %+v", i, g.Proxy.Route(), g.Tool, g.NeedsPassword, w)
		}
	}
}
