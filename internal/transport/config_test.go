package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseProxy(t *testing.T) {
	tests := []struct {
		in, route, shown string
		bad              bool
	}{
		{in: "socks5://127.0.0.1:1080", route: "socks5://127.0.0.1:1080", shown: "socks5://127.0.0.1:1080"},
		{in: "socks5h://127.0.0.1:9050", route: "socks5://127.0.0.1:9050", shown: "socks5://127.0.0.1:9050"},
		{in: "socks5://me:hunter2@127.0.0.1:1080", route: "socks5://127.0.0.1:1080", shown: "socks5://me:***@127.0.0.1:1080"},
		{in: "http://localhost:8118/", route: "http://localhost:8118", shown: "http://localhost:8118"},
		{in: "http://u:p%40ss@10.0.0.1:3128", route: "http://10.0.0.1:3128", shown: "http://u:***@10.0.0.1:3128"},
		{in: "ftp://x:1", bad: true},
		{in: "socks5://127.0.0.1", bad: true},
		{in: "127.0.0.1:1080", bad: true},
		{in: "socks5://me:hunter2@127.0.0.1:1080/path", bad: true},
		{in: "socks5://me:hunter2@[bad", bad: true},
	}
	for _, tt := range tests {
		p, err := ParseProxy(tt.in)
		if tt.bad {
			if !errors.Is(err, ErrBadProxy) {
				t.Errorf("ParseProxy(%q) = %v, want ErrBadProxy", tt.in, err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats the password: %v", err)
			}
			continue
		}
		if err != nil || p.Route() != tt.route || p.String() != tt.shown {
			t.Errorf("ParseProxy(%q) = %q/%q, %v; want %q/%q", tt.in, p.Route(), p, err, tt.route, tt.shown)
		}
	}
}

func TestParseDoH(t *testing.T) {
	for _, tt := range []struct{ in, url, ip string }{
		{"https://1.1.1.1/dns-query", "https://1.1.1.1/dns-query", ""},
		{"https://dns.example/dns-query@192.0.2.1", "https://dns.example/dns-query", "192.0.2.1"},
	} {
		d, err := ParseDoH(tt.in)
		if err != nil || d.URL != tt.url || d.IP != tt.ip || d.String() != tt.in {
			t.Errorf("ParseDoH(%q) = %+v, %v", tt.in, d, err)
		}
	}
	for _, bad := range []string{"http://1.1.1.1/dns-query", "dns.example", "https://dns.example/q@not-an-ip"} {
		if _, err := ParseDoH(bad); err == nil {
			t.Errorf("ParseDoH(%q) accepted", bad)
		}
	}
}

func TestProxiesFromEnv(t *testing.T) {
	env := map[string]string{
		"ALL_PROXY":   "socks5://127.0.0.1:1080",
		"https_proxy": "127.0.0.1:8118", // no scheme: http, as curl takes it
		"HTTP_PROXY":  "http://127.0.0.1:8118",
		"NO_PROXY":    "localhost,.internal.example,10.0.0.0/8",
	}
	ps, no, errs := ProxiesFromEnv(func(k string) string { return env[k] })
	if len(errs) != 0 || len(ps) != 2 || ps[0].Route() != "socks5://127.0.0.1:1080" || ps[1].Route() != "http://127.0.0.1:8118" || no != env["NO_PROXY"] {
		t.Fatalf("got %v %q %v", ps, no, errs)
	}
	_, _, errs = ProxiesFromEnv(func(k string) string {
		if k == "ALL_PROXY" {
			return "gopher://x:1"
		}
		return ""
	})
	if len(errs) != 1 {
		t.Errorf("a bad ALL_PROXY passed silently")
	}
}

func TestNoProxyMatch(t *testing.T) {
	list := "localhost, .internal.example, news.example:443, 10.0.0.0/8, 192.168.1.5"
	for host, want := range map[string]bool{
		"localhost": true, "a.internal.example": true, "internal.example": true, "news.example": true,
		"sub.news.example": true, "10.1.2.3": true, "192.168.1.5": true, "192.168.1.6": false,
		"example.org": false, "notnews.example": false,
	} {
		if got := noProxyMatch(list, host); got != want {
			t.Errorf("noProxyMatch(%q) = %v, want %v", host, got, want)
		}
	}
	if !noProxyMatch("*", "anything.example") {
		t.Error("* should match everything")
	}
}

// TestEnvProxyHonoursNoProxy: an environment proxy is a route, except for
// the hosts NO_PROXY names.
func TestEnvProxyHonoursNoProxy(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1"})
	cfg := Config{Mode: ModeAuto, EnvProxies: []Proxy{mustProxy(t, socks.url())}}
	l.breakAddr(l.originAddr(), "reset")
	c := New(l.options(cfg))
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/")})
	if err != nil || resp.Route != "socks5://"+socks.addr() {
		t.Fatalf("env proxy not used: %v", err)
	}
	cfg.NoProxy = siteHost
	c = New(l.options(cfg))
	_, err = c.Fetch(context.Background(), &Request{URL: l.url("/")})
	var te *Error
	if !errors.As(err, &te) || len(te.Attempts) != 1 || te.Attempts[0].Route != RouteDirect {
		t.Errorf("NO_PROXY host went through the env proxy: %v", err)
	}
}

// TestPasswordNeverShown: errors and route names never carry a proxy's
// password.
func TestPasswordNeverShown(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "reader", "s3cret-pw", map[string]string{siteHost: "127.0.0.1"})
	hp := startHTTPProxy(t, "reader", "s3cret-pw", map[string]string{siteHost: "127.0.0.1"})
	for _, u := range []string{
		"socks5://reader:wr0ng-s3cret-pw@" + socks.addr(),
		"http://reader:wr0ng-s3cret-pw@" + hp.addr(),
		"socks5://reader:s3cret-pw@127.0.0.1:1",
		"http://reader:s3cret-pw@127.0.0.1:1",
	} {
		c := New(l.options(Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, u)}}))
		_, err := c.Fetch(context.Background(), &Request{URL: l.url("/")})
		if err == nil {
			t.Fatalf("%s: fetched with a wrong password or a dead proxy", u)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("password in error: %v", err)
		}
		for _, r := range c.Routes(context.Background()) {
			if strings.Contains(r, "s3cret") {
				t.Errorf("password in route name %q", r)
			}
		}
	}
}
