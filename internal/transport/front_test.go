package transport

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFront(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"news.example=cdn.example", "news.example=cdn.example"},
		{" News.Example.=cdn.example@192.0.2.7 ", "news.example=cdn.example@192.0.2.7"},
		{"news.example=cdn.example@192.0.2.7:8443", "news.example=cdn.example@192.0.2.7:8443"},
		{"news.example=cdn.example@[2001:db8::1]:443", "news.example=cdn.example@[2001:db8::1]"},
		{"news.example", ""},
		{"https://news.example=cdn.example", ""},
		{"news.example=cdn.example/path", ""},
		{"news.example=", ""},
		{"=cdn.example", ""},
		{"news.example=news.example", ""},
		{"news.example=cdn.example@cdn.example", ""},
		{"news.example=cdn.example@192.0.2.7:http", ""},
		{"news.example=cdn_example", ""},
		{strings.Repeat("a", 64) + ".example=cdn.example", ""},
	}
	for _, tt := range tests {
		f, err := ParseFront(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%q: accepted as %s", tt.in, f)
		case tt.want == "" && !errors.Is(err, ErrBadFront):
			t.Errorf("%q: error %v is not ErrBadFront", tt.in, err)
		case tt.want != "" && (err != nil || f.String() != tt.want):
			t.Errorf("%q: %s, %v; want %s", tt.in, f, err, tt.want)
		}
	}
}

// frontLab is an origin that serves only the site "blocked.test", by its
// Host header, on a certificate for *.example.com (a CDN's).
func frontLab(t *testing.T) *lab {
	l := newLab(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Host, "blocked.test") {
			w.Write([]byte("news"))
			return
		}
		http.NotFound(w, r)
	}))
	l.censor = perPacket("blocked.test") // the front's hello never names it
	return l
}

func TestFront(t *testing.T) {
	tests := []struct {
		name    string
		front   string
		dns     string // the system resolver's answer for blocked.test; "" for none
		want    string
		verdict Verdict
	}{
		{"the site cannot be looked up", "cdn.example.com", "", "front:cdn.example.com", ""},
		{"the site's address drops every packet", "cdn.example.com", "127.0.0.2", "front:cdn.example.com", ""},
		{"a front whose certificate is not its own", "cdn.wrong", "", "", VerdictFrontCertInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := frontLab(t)
			if tt.dns != "" {
				l.dns["blocked.test"] = tt.dns
				l.breakAddr(tt.dns+":"+l.port, "blackhole")
			}
			f, err := ParseFront("blocked.test=" + tt.front + "@127.0.0.1:" + l.port)
			if err != nil {
				t.Fatal(err)
			}
			opts := l.options(Config{Mode: ModeAuto, Tactics: true, Fronts: []Front{f}})
			opts.ConnectTimeout = 5 * time.Second
			c := New(opts)
			defer c.Close()
			start := time.Now()
			resp, err := c.Fetch(context.Background(), &Request{URL: "https://blocked.test:" + l.port + "/feed"})
			if tt.want == "" {
				var fe *Error
				if resp != nil || !errors.As(err, &fe) {
					t.Fatalf("got %+v, %v; want an error", resp, err)
				}
				if !hasAttemptVerdict(fe.Attempts, tt.verdict) {
					t.Errorf("attempts %+v lack %s", fe.Attempts, tt.verdict)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Route != tt.want || string(resp.Body) != "news" {
				t.Errorf("route %s gave %q, want %s with the news", resp.Route, resp.Body, tt.want)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v: the front waited for the dropped address", took)
			}
		})
	}
}

func hasAttemptVerdict(as []Attempt, v Verdict) bool {
	for _, a := range as {
		if a.Verdict == v {
			return true
		}
	}
	return false
}

// A front carries its own host only, and only once direct failed.
func TestFrontOnlyForItsHost(t *testing.T) {
	l := newLab(t, okHandler("news"))
	f, _ := ParseFront("blocked.test=cdn.example.com@127.0.0.1:" + l.port)
	c := New(l.options(Config{Mode: ModeAuto, Tactics: true, Fronts: []Front{f}}))
	defer c.Close()
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	if err != nil || resp.Route != RouteDirect || len(resp.Attempts) != 1 {
		t.Fatalf("%+v, %v", resp, err)
	}
	specs, _ := c.plan(context.Background(), siteHost, &Request{URL: l.url("/feed")})
	for _, s := range specs {
		if s.r.kind == kindFront {
			t.Errorf("a front for blocked.test planned for %s", siteHost)
		}
	}
	if n := l.dialed(l.originAddr()); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	// Strict mode: no front.
	p := New(l.options(Config{Mode: ModeProxy, Fronts: []Front{f}}))
	defer p.Close()
	for _, r := range p.Routes(context.Background()) {
		if strings.HasPrefix(r, RoutePrefixFront) {
			t.Errorf("strict mode has the route %s", r)
		}
	}
}
