package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
)

// Censors that read the TLS server name, as Iran's filter does, standing
// in the client's dial (see lab.censor).

// perPacket resets a connection whose segment names the site: a filter
// that matches packet by packet.
func perPacket(name string) func(net.Conn) net.Conn {
	return func(c net.Conn) net.Conn {
		return &censored{Conn: c, check: func(seg, _ []byte) bool { return bytes.Contains(seg, []byte(name)) }}
	}
}

// reassembling reassembles the stream and resets it when the first TLS
// record names the site; strict also refuses a first record that does not
// hold the whole ClientHello.
func reassembling(name string, strict bool) func(net.Conn) net.Conn {
	return func(c net.Conn) net.Conn {
		return &censored{Conn: c, check: func(_, stream []byte) bool {
			if len(stream) < 5 {
				return false
			}
			n := int(stream[3])<<8 | int(stream[4])
			if len(stream) < 5+n {
				return false // the first record is not all here yet
			}
			rec := stream[5 : 5+n]
			if strict && (len(rec) < 4 || 4+(int(rec[1])<<16|int(rec[2])<<8|int(rec[3])) > len(rec)) {
				return true
			}
			return bytes.Contains(rec, []byte(name))
		}}
	}
}

// censored passes writes through until check says the flow is to be
// cut; then it is reset. Only the first 4 KB are looked at, as a DPI does.
type censored struct {
	net.Conn
	check  func(segment, stream []byte) bool
	mu     sync.Mutex
	stream []byte
	cut    bool
}

func (c *censored) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
	}
	if len(c.stream) < 4096 {
		c.stream = append(c.stream, p...)
		if c.check(p, c.stream) {
			c.cut = true
			c.Conn.Close()
			return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}
		}
	}
	return c.Conn.Write(p)
}

func (c *censored) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	return n, err
}

func TestTactics(t *testing.T) {
	tests := []struct {
		name    string
		censor  func(net.Conn) net.Conn
		tactics bool
		want    string // the route that wins; "" for none
		failed  []string
	}{
		{"no censor", nil, true, RouteDirect, nil},
		{"per-packet filter, tactics off", perPacket(siteHost), false, "", []string{"direct:tls-reset"}},
		{"per-packet filter", perPacket(siteHost), true, RouteSplit, []string{"direct:tls-reset"}},
		{"reassembling filter", reassembling(siteHost, false), true, RouteTLSFrag, []string{"direct:tls-reset", "split:tls-reset"}},
		{"strict reassembling filter", reassembling(siteHost, true), true, "", []string{"direct:tls-reset", "split:tls-reset", "tlsfrag:tls-reset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t, okHandler("news"))
			l.censor = tt.censor
			c := New(l.options(Config{Mode: ModeAuto, Tactics: tt.tactics}))
			defer c.Close()
			resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")})
			var got []string
			var attempts []Attempt
			if resp != nil {
				attempts = resp.Attempts
			} else {
				var fe *Error
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want an *Error", err)
				}
				attempts = fe.Attempts
			}
			for _, a := range attempts {
				if a.Verdict != "" {
					got = append(got, a.Route+":"+string(a.Verdict))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.failed) {
				t.Errorf("failed attempts %v, want %v", got, tt.failed)
			}
			switch {
			case tt.want == "" && resp != nil:
				t.Fatalf("route %s got through, want none", resp.Route)
			case tt.want != "" && resp == nil:
				t.Fatalf("nothing got through (%v), want %s", err, tt.want)
			case resp != nil && (resp.Route != tt.want || string(resp.Body) != "news"):
				t.Fatalf("route %s gave %q, want %s with the news", resp.Route, resp.Body, tt.want)
			}
		})
	}
}

// With direct working, the tactics, ECH and a front cost nothing: as many
// connections as without them.
func TestTacticsWaitForDirectToFail(t *testing.T) {
	for _, on := range []bool{false, true} {
		l := newLab(t, okHandler("news"))
		cfg := Config{Mode: ModeAuto, DoH: []DoHServer{l.dohServer(map[string]string{siteHost: "127.0.0.1"})}}
		if on {
			f, err := ParseFront(siteHost + "=cdn.example.com@127.0.0.1:" + l.port)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Tactics, cfg.ECH, cfg.Fronts = true, true, []Front{f}
		}
		c := New(l.options(cfg))
		for range 3 {
			if _, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")}); err != nil {
				t.Fatal(err)
			}
			c.Close() // every fetch dials anew
		}
		l.mu.Lock()
		dials := len(l.dials)
		l.mu.Unlock()
		if dials != 3 {
			t.Errorf("tactics %v: %d connections for 3 fetches, want 3", on, dials)
		}
	}
}

// The failure says what to try: a server that refuses (403) is not a
// filter reading the name, so no tactic is tried.
func TestTacticsFollowTheVerdict(t *testing.T) {
	l := newLab(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) }))
	f, _ := ParseFront(siteHost + "=cdn.example.com@127.0.0.1:" + l.port)
	c := New(l.options(Config{Mode: ModeAuto, Tactics: true, Fronts: []Front{f}}))
	defer c.Close()
	_, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	var fe *Error
	if !errors.As(err, &fe) {
		t.Fatalf("err %v", err)
	}
	for _, a := range fe.Attempts {
		if a.Route != RouteDirect {
			t.Errorf("%s tried after the server refused (%s)", a.Route, a.Verdict)
		}
	}
}

// A tactic that won is remembered, and goes first the next time, alone.
func TestTacticRemembered(t *testing.T) {
	l := newLab(t, okHandler("news"))
	l.censor = reassembling(siteHost, false)
	mem := &fakeMemory{}
	opts := l.options(Config{Mode: ModeAuto, Tactics: true})
	opts.Memory = mem
	c := New(opts)
	if _, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c = New(opts) // a new run, the same memory
	defer c.Close()
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/other")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Route != RouteTLSFrag || len(resp.Attempts) != 1 {
		t.Errorf("second run: route %s after %d attempts, want tlsfrag at once", resp.Route, len(resp.Attempts))
	}
}

// Once direct failed for a host, the tactics need not wait for it again.
func TestTacticsUngatedAfterDirectFailed(t *testing.T) {
	l := newLab(t, okHandler("news"))
	c := New(l.options(Config{Mode: ModeAuto, Tactics: true}))
	defer c.Close()
	u := l.url("/feed")
	specs, _ := c.plan(context.Background(), siteHost, &Request{URL: u})
	for _, s := range specs {
		if isTactic(s.r.name) && !s.gated {
			t.Errorf("%s ungated before direct failed", s.r.name)
		}
	}
	c.book.note(context.Background(), siteHost, Attempt{Route: RouteDirect, URL: u, Verdict: VerdictTLSReset})
	specs, _ = c.plan(context.Background(), siteHost, &Request{URL: u})
	var tactics int
	for _, s := range specs {
		if isTactic(s.r.name) {
			tactics++
			if s.gated {
				t.Errorf("%s still gated after direct failed", s.r.name)
			}
		}
	}
	if tactics != 2 {
		t.Errorf("%d tactic attempts planned, want 2", tactics)
	}
	// Plain http has no hello to shape.
	specs, _ = c.plan(context.Background(), siteHost, &Request{URL: "http://" + siteHost + "/feed"})
	for _, s := range specs {
		if isTactic(s.r.name) {
			t.Errorf("%s planned for plain http", s.r.name)
		}
	}
}

func TestHandshakeServerName(t *testing.T) {
	hello := clientHello(t, "news.example.org")
	start, end, ok := helloServerName(hello)
	if !ok || string(hello[start:end]) != "news.example.org" {
		t.Fatalf("found %q (%v), want the server name", hello[start:end], ok)
	}
	// Any prefix, any garbage: no panic, and a name only where it is whole.
	for n := range len(hello) {
		if s, e, ok := helloServerName(hello[:n]); ok && string(hello[s:e]) != "news.example.org" {
			t.Fatalf("prefix %d: found %q", n, hello[s:e])
		}
	}
	for _, junk := range [][]byte{nil, {22}, {22, 3, 1, 0, 5, 1, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{0xff}, 300), {23, 3, 3, 0, 1, 0}} {
		if _, _, ok := helloServerName(junk); ok {
			t.Errorf("a name found in %x", junk)
		}
	}
	noSNI := clientHello(t, "")
	if _, _, ok := helloServerName(noSNI); ok {
		t.Error("a name found in a hello without one")
	}
}

// clientHello is the first record crypto/tls sends for name.
func clientHello(t *testing.T, name string) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go tls.Client(a, &tls.Config{ServerName: name, InsecureSkipVerify: name == ""}).Handshake()
	buf := make([]byte, 16<<10)
	n, err := b.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}
