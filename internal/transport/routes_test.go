package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// TestEachRoute fetches the origin over each route alone.
func TestEachRoute(t *testing.T) {
	l := newLab(t, okHandler("news"))
	names := map[string]string{siteHost: "127.0.0.1"}
	socks := startSOCKS(t, "", "", names)
	socksAuth := startSOCKS(t, "reader", "s3cret", names)
	hp := startHTTPProxy(t, "", "", names)
	hpAuth := startHTTPProxy(t, "reader", "s3cret", names)
	doh := l.dohServer(map[string]string{siteHost: "127.0.0.1"})

	tests := []struct {
		name  string
		cfg   Config
		route string
	}{
		{"direct", Config{Mode: ModeDirect}, RouteDirect},
		{"doh", Config{Mode: ModeDirect, DoH: []DoHServer{doh}}, RouteDoH},
		{"socks5", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, socks.url())}}, "socks5://" + socks.addr()},
		{"socks5h with password", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, strings.Replace(socksAuth.url(), "socks5", "socks5h", 1))}}, "socks5://" + socksAuth.addr()},
		{"http proxy", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, hp.url())}}, "http://" + hp.addr()},
		{"http proxy with password", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, hpAuth.url())}}, "http://" + hpAuth.addr()},
		// Kabootar's own Tor is one of the proxies in strict mode.
		{"tor", Config{Mode: ModeProxy, Tor: socks.addr()}, RouteTor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "doh" {
				l.dns = map[string]string{} // the system resolver knows nothing
			}
			opts := l.options(tt.cfg)
			if tt.name == "doh" {
				opts.Stagger = []time.Duration{time.Millisecond}
			}
			c := New(opts)
			defer c.Close()
			resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")})
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != "news" || resp.Route != tt.route {
				t.Errorf("got %q via %s, want via %s", resp.Body, resp.Route, tt.route)
			}
		})
	}
	// Through a SOCKS5 proxy the name goes to the proxy, unresolved.
	if tg := socks.Targets(); len(tg) == 0 || tg[0] != siteHost+":"+l.port {
		t.Errorf("SOCKS targets %v: the name should reach the proxy as a name", tg)
	}
}

// TestVerdicts gives every failure its verdict, from the error's type.
func TestVerdicts(t *testing.T) {
	l := newLab(t, okHandler("news"))
	names := map[string]string{siteHost: "127.0.0.1"}
	socksAuth := startSOCKS(t, "reader", "s3cret", names)
	hpAuth := startHTTPProxy(t, "reader", "s3cret", names)
	poisoned := l.dohServer(map[string]string{siteHost: "10.10.34.34"})
	untrusted := httptest.NewUnstartedServer(okHandler("news"))
	untrusted.StartTLS()
	defer untrusted.Close()
	resetting := tlsTroublemaker(t, true)
	silent := tlsTroublemaker(t, false)
	refusing := httptest.NewServer(nil)
	refusingAddr := refusing.Listener.Addr().String()
	refusing.Close()

	tests := []struct {
		name    string
		cfg     Config
		url     string
		setup   func()
		verdict Verdict
		route   string // the route that must give the verdict; any when empty
	}{
		{"dns poisoned", Config{Mode: ModeDirect}, l.url("/"), func() { l.dns[siteHost] = "10.10.34.34" }, VerdictDNSBogon, ""},
		{"doh poisoned too", Config{Mode: ModeDirect, DoH: []DoHServer{poisoned}}, l.url("/"), func() { l.dns = map[string]string{} }, VerdictDNSBogon, RouteDoH},
		{"tls reset", Config{Mode: ModeDirect}, "https://" + siteHost + ":" + portOf(resetting) + "/", nil, VerdictTLSReset, ""},
		{"tls hangs", Config{Mode: ModeDirect}, "https://" + siteHost + ":" + portOf(silent) + "/", nil, VerdictTLSTimeout, ""},
		{"no such name", Config{Mode: ModeDirect}, "https://nowhere.example.org/", nil, VerdictDNSNXDomain, ""},
		{"blackhole", Config{Mode: ModeDirect}, l.url("/"), func() { l.breakAddr(l.originAddr(), "blackhole") }, VerdictTCPTimeout, ""},
		{"reset", Config{Mode: ModeDirect}, l.url("/"), func() { l.breakAddr(l.originAddr(), "reset") }, VerdictTCPReset, ""},
		{"refused", Config{Mode: ModeDirect}, "http://" + refusingAddr + "/", nil, VerdictTCPRefused, ""},
		{"bad certificate", Config{Mode: ModeDirect}, "https://" + siteHost + ":" + portOf(untrusted.URL) + "/", func() {
			l.roots = nil // the system roots do not know httptest's CA
		}, VerdictTLSCertInvalid, ""},
		{"socks down", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "socks5://"+refusingAddr)}}, l.url("/"), nil, VerdictProxyUnreachable, ""},
		{"socks wrong password", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "socks5://reader:wrong@"+socksAuth.addr())}}, l.url("/"), nil, VerdictProxyAuth, ""},
		{"socks without password", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "socks5://"+socksAuth.addr())}}, l.url("/"), nil, VerdictProxyAuth, ""},
		{"socks cannot reach site", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, socksAuth.url())}}, "https://" + refusingAddr + "/", nil, VerdictTCPRefused, ""},
		{"http proxy down", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "http://"+refusingAddr)}}, l.url("/"), nil, VerdictProxyUnreachable, ""},
		{"http proxy wrong password", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "http://reader:wrong@"+hpAuth.addr())}}, l.url("/"), nil, VerdictProxyAuth, ""},
		{"strict without proxy", Config{Mode: ModeProxy}, l.url("/"), nil, VerdictProxyUnreachable, ""},
		{"strict proxy by name", Config{Mode: ModeProxy, Proxies: []Proxy{mustProxy(t, "socks5://proxy.example.org:1080")}}, l.url("/"), nil, VerdictProxyUnreachable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots := l.roots
			defer func() { l.roots = roots }()
			l.dns = map[string]string{siteHost: "127.0.0.1"}
			l.broken = map[string]string{}
			if tt.setup != nil {
				tt.setup()
			}
			opts := l.options(tt.cfg)
			opts.ConnectTimeout = 300 * time.Millisecond
			// Verifying against the system's roots may take a while the
			// first time (Windows's certificate store, under Wine most).
			opts.TLSTimeout = 2 * time.Second
			c := New(opts)
			defer c.Close()
			start := time.Now()
			_, err := c.Fetch(context.Background(), &Request{URL: tt.url})
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *transport.Error", err)
			}
			for _, a := range te.Attempts {
				if a.Verdict == tt.verdict && (tt.route == "" || a.Route == tt.route) {
					if d := time.Since(start); d > 3*time.Second {
						t.Errorf("took %v", d)
					}
					return
				}
			}
			t.Errorf("verdicts %v, want %s (%v)", verdicts(te.Attempts), tt.verdict, err)
		})
	}
}

// tlsTroublemaker accepts TCP connections, reads the TLS ClientHello, then
// either resets the connection (as a censor matching the SNI does) or
// says nothing at all. It returns its URL-style address.
func tlsTroublemaker(t *testing.T, reset bool) string {
	ln, err := transporttest.ServeTCP("127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 512)
		c.Read(buf) // the ClientHello
		if reset {
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
			return
		}
		time.Sleep(5 * time.Second)
		c.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return "https://" + ln.Addr().String()
}

func verdicts(as []Attempt) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Route+":"+string(a.Verdict))
	}
	return out
}

func portOf(u string) string {
	i := strings.LastIndex(u, ":")
	return u[i+1:]
}

// TestRacing: a blocked route does not delay the answer beyond the
// stagger, a slow route loses, and the winner is tried first next time.
func TestRacing(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1"})
	mem := &fakeMemory{}
	opts := l.options(Config{Mode: ModeAuto, Proxies: []Proxy{mustProxy(t, socks.url())}})
	opts.Memory = mem
	opts.ConnectTimeout = 10 * time.Second // a blackhole would cost all of it without racing
	c := New(opts)
	defer c.Close()

	l.breakAddr(l.originAddr(), "blackhole") // the direct route never answers
	start := time.Now()
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	if err != nil {
		t.Fatal(err)
	}
	first := time.Since(start)
	if resp.Route != "socks5://"+socks.addr() || first > 1500*time.Millisecond {
		t.Fatalf("got via %s after %v; want the proxy within the stagger", resp.Route, first)
	}
	for _, a := range resp.Attempts {
		if a.Route == RouteDirect {
			t.Errorf("the cancelled direct attempt was counted: %+v", a)
		}
	}
	if len(mem.saved) == 0 || !mem.saved[len(mem.saved)-1].OK {
		t.Fatalf("winner not remembered: %+v", mem.saved)
	}

	// Next time, with a fresh client reading the same memory: the proxy
	// goes first, alone, and the blackholed route is never tried.
	dialsBefore := l.dialed(l.originAddr())
	c2 := New(opts)
	defer c2.Close()
	start = time.Now()
	resp, err = c2.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	if err != nil || resp.Route != "socks5://"+socks.addr() {
		t.Fatalf("second fetch: %v via %v", err, resp)
	}
	if l.dialed(l.originAddr()) != dialsBefore {
		t.Error("the direct route was tried although the proxy was remembered")
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("remembered route took %v", d)
	}

	// A slow route loses to a fast one.
	l.breakAddr(l.originAddr(), "slow")
	c3 := New(l.options(Config{Mode: ModeAuto, Proxies: []Proxy{mustProxy(t, socks.url())}}))
	defer c3.Close()
	resp, err = c3.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	if err != nil || resp.Route == RouteDirect {
		t.Errorf("slow direct route won: %v %v", err, resp)
	}
}

// TestMirrorOnEachRoute: when the main URL is blocked everywhere, a mirror
// is an attempt too.
func TestMirrorOnEachRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/feed", okHandler(`<html><title>MNN3-1(1)</title><iframe src="http://10.10.34.34"></iframe></html>`))
	mux.Handle("/mirror", okHandler("news"))
	l := newLab(t, mux)
	c := New(l.options(Config{Mode: ModeDirect}))
	defer c.Close()
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed"), Alternatives: []string{l.url("/mirror")}})
	if err != nil || resp.URL != l.url("/mirror") {
		t.Fatalf("%v %+v", err, resp)
	}
	if len(resp.Attempts) != 2 || resp.Attempts[0].Verdict != VerdictHTTPBlockpage {
		t.Errorf("attempts %v", verdicts(resp.Attempts))
	}
}

// TestStrictModeLeaksNothing fails if any connection or name lookup is
// made except to the proxy, for any kind of fetch.
func TestStrictModeLeaksNothing(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1", "mirror.example.net": "127.0.0.1"})
	doh := l.dohServer(map[string]string{siteHost: "127.0.0.1"})
	opts := l.options(Config{
		Mode:     ModeProxy,
		Proxies:  []Proxy{mustProxy(t, socks.url())},
		DoH:      []DoHServer{doh},        // ignored in strict mode
		TorAddrs: []string{"127.0.0.1:9"}, // never probed in strict mode
	})
	c := New(opts)
	defer c.Close()
	for _, req := range []*Request{
		{URL: l.url("/feed")},
		{URL: l.url("/image.jpg")},
		{URL: "http://" + siteHost + ":" + l.port + "/plain-http", Alternatives: []string{"https://mirror.example.net:" + l.port + "/"}},
	} {
		c.Fetch(context.Background(), req)
	}
	if len(l.lookups) != 0 {
		t.Errorf("names looked up locally in strict mode: %v", l.lookups)
	}
	for _, d := range l.dials {
		if d != socks.addr() {
			t.Errorf("dialed %s in strict mode; only the proxy %s may be", d, socks.addr())
		}
	}
	if len(l.dials) == 0 {
		t.Error("nothing dialed at all")
	}

	// With the proxy down: proxy-unreachable, and still nothing else.
	l.dials = nil
	opts.Config.Proxies = []Proxy{mustProxy(t, "socks5://127.0.0.1:1")}
	c2 := New(opts)
	_, err := c2.Fetch(context.Background(), &Request{URL: l.url("/feed")})
	if VerdictOf(err) != VerdictProxyUnreachable {
		t.Errorf("verdict %q, want proxy-unreachable", VerdictOf(err))
	}
	for _, d := range l.dials {
		if d != "127.0.0.1:1" {
			t.Errorf("dialed %s with the proxy down", d)
		}
	}
}

func TestTorProbe(t *testing.T) {
	l := newLab(t, okHandler("news"))
	tor := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1"})
	c := New(l.options(Config{Mode: ModeAuto, TorAddrs: []string{"127.0.0.1:1", tor.addr()}}))
	defer c.Close()
	got := strings.Join(c.Routes(context.Background()), " ")
	if !strings.Contains(got, "socks5://"+tor.addr()) {
		t.Errorf("routes %s: the local Tor was not found", got)
	}
	// A configured proxy means no probe.
	c2 := New(l.options(Config{Mode: ModeAuto, Proxies: []Proxy{mustProxy(t, "socks5://127.0.0.1:1080")}, TorAddrs: []string{tor.addr()}}))
	if got := strings.Join(c2.Routes(context.Background()), " "); strings.Contains(got, tor.addr()) {
		t.Errorf("probed for Tor although a proxy is configured: %s", got)
	}
}

type fakeMemory struct {
	saved []RouteRecord
}

func (m *fakeMemory) LoadRoutes(_ context.Context, host string) ([]RouteRecord, error) {
	var out []RouteRecord
	for _, r := range m.saved {
		if r.Host == host {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *fakeMemory) SaveRoute(_ context.Context, r RouteRecord) error {
	m.saved = append(m.saved, r)
	return nil
}

// TestMemoryWritesLittle: a thousand feeds of one site through the same
// route write one record, not a thousand; a failure is written at once.
func TestMemoryWritesLittle(t *testing.T) {
	l := newLab(t, okHandler("news"))
	mem := &fakeMemory{}
	opts := l.options(Config{Mode: ModeDirect})
	opts.Memory = mem
	c := New(opts)
	defer c.Close()
	for i := range 50 {
		if _, err := c.Fetch(context.Background(), &Request{URL: l.url("/feed/" + strings.Repeat("x", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if len(mem.saved) != 1 {
		t.Errorf("%d records written for 50 feeds of one site over one route", len(mem.saved))
	}
	l.breakAddr(l.originAddr(), "reset")
	c2 := New(opts) // no kept-alive connection to reuse
	defer c2.Close()
	c2.Fetch(context.Background(), &Request{URL: l.url("/feed/")})
	if n := len(mem.saved); n != 2 || mem.saved[1].OK || mem.saved[1].Verdict != VerdictTCPReset {
		t.Errorf("failure not recorded: %+v", mem.saved)
	}
}

// TestGiveUpWhenNothingConnects: with every route blackholed, a request
// ends after GiveUp, not after every timeout in turn.
func TestGiveUpWhenNothingConnects(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "", "", nil)
	l.breakAddr(l.originAddr(), "blackhole")
	l.breakAddr(socks.addr(), "blackhole")
	opts := l.options(Config{Mode: ModeAuto, Proxies: []Proxy{mustProxy(t, socks.url())}})
	opts.ConnectTimeout = 10 * time.Second
	opts.GiveUp = 500 * time.Millisecond
	c := New(opts)
	defer c.Close()
	start := time.Now()
	_, err := c.Fetch(context.Background(), &Request{URL: l.url("/"), Alternatives: []string{l.url("/m")}})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v", d)
	}
	var te *Error
	if !errors.As(err, &te) || len(te.Attempts) == 0 {
		t.Fatalf("err %v", err)
	}
	for _, a := range te.Attempts {
		if a.Verdict != VerdictTCPTimeout && a.Verdict != VerdictProxyUnreachable {
			t.Errorf("attempt %s: verdict %s, want a timeout", a.Route, a.Verdict)
		}
	}
}

// TestDoHLookupIsNotTheAnswer: the DoH resolver's own answer must not count
// as the site answering (which would hold off the next route for seconds).
func TestDoHLookupIsNotTheAnswer(t *testing.T) {
	l := newLab(t, okHandler("news"))
	socks := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1"})
	doh := l.dohServer(map[string]string{siteHost: "127.0.0.1"})
	l.dns = map[string]string{}              // the system resolver fails at once
	l.breakAddr(l.originAddr(), "blackhole") // the site's address never answers
	opts := l.options(Config{Mode: ModeAuto, DoH: []DoHServer{doh}, Proxies: []Proxy{mustProxy(t, socks.url())}})
	opts.ConnectTimeout = 10 * time.Second
	c := New(opts)
	defer c.Close()
	start := time.Now()
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/")})
	if err != nil || !strings.HasPrefix(resp.Route, "socks5://") {
		t.Fatalf("%v %v", err, resp)
	}
	// direct fails at once, doh starts and hangs, socks starts 1 s later.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v: the DoH lookup was taken for the site answering", d)
	}
}

// TestOriginGoneIsFinal: when the origin itself answers 404 over verified
// TLS through one route, the other routes' attempts at the same URL stop
// (a blackholed one would hold the answer for its whole connect timeout)
// and are not held against their routes; a mirror is still tried.
func TestOriginGoneIsFinal(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/feed", okHandler("news"))
	mux.HandleFunc("/gone", http.NotFound)
	l := newLab(t, mux)
	socks := startSOCKS(t, "", "", map[string]string{siteHost: "127.0.0.1"})
	l.breakAddr(l.originAddr(), "blackhole") // the direct route never connects
	mem := &fakeMemory{}
	opts := l.options(Config{Mode: ModeAuto, Proxies: []Proxy{mustProxy(t, socks.url())}})
	opts.ConnectTimeout = 10 * time.Second
	opts.Memory = mem
	c := New(opts)
	defer c.Close()

	start := time.Now()
	_, err := c.Fetch(context.Background(), &Request{URL: l.url("/gone")})
	if VerdictOf(err) != VerdictHTTPStatus {
		t.Fatalf("err %v, want an http-status verdict", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v: the blackholed direct attempt was waited out", d)
	}
	for _, r := range mem.saved {
		if r.Route == RouteDirect && !r.OK {
			t.Errorf("the stopped direct attempt was held against its route: %+v", r)
		}
	}

	// The same with a mirror: gone at the main URL, served at the mirror.
	resp, err := c.Fetch(context.Background(), &Request{URL: l.url("/gone"), Alternatives: []string{l.url("/feed")}})
	if err != nil || resp.URL != l.url("/feed") {
		t.Fatalf("with a mirror: %v, %+v", err, resp)
	}
}

// A diagnosis ends within GiveUp even when a route's resolvers, or the
// site itself, never answer.
func TestDiagnoseIsBounded(t *testing.T) {
	l := newLab(t, okHandler("<rss/>"))
	doh := l.dohServer(map[string]string{siteHost: "127.0.0.1"})
	du, _ := url.Parse(doh.URL)
	l.broken[doh.IP+":"+du.Port()] = "blackhole" // the resolver never answers
	l.broken["127.0.0.1:"+l.port] = "blackhole"
	opts := l.options(Config{Mode: ModeDirect, DoH: []DoHServer{doh}})
	opts.GiveUp = 500 * time.Millisecond
	opts.ConnectTimeout = 10 * time.Second
	c := New(opts)
	defer c.Close()
	start := time.Now()
	ds := c.Diagnose(context.Background(), l.url("/feed"))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("diagnose took %v", took)
	}
	if len(ds) != 2 {
		t.Fatalf("%d routes diagnosed", len(ds))
	}
	for _, d := range ds {
		if d.Verdict == "" || !d.Verdict.Offline() {
			t.Errorf("%s: verdict %q, want a network-level one", d.Route, d.Verdict)
		}
	}
}

func TestIsProxyRoute(t *testing.T) {
	for name, want := range map[string]bool{
		RouteDirect: false, RouteDoH: false, "": false,
		"socks5://127.0.0.1:9050": true, "http://10.0.0.1:8080": true, "socks5h://[::1]:1080": true,
		"ftp://x:21": false, "direct://": false,
	} {
		if got := IsProxyRoute(name); got != want {
			t.Errorf("IsProxyRoute(%q) = %v, want %v", name, got, want)
		}
	}
}

// Kabootar's own Tor is a route in auto and strict mode, never in direct
// mode (a third party carries the traffic).
func TestTorRoute(t *testing.T) {
	for _, tt := range []struct {
		mode Mode
		want bool
	}{{ModeAuto, true}, {ModeProxy, true}, {ModeDirect, false}} {
		c := New(Options{Config: Config{Mode: tt.mode, Tor: "127.0.0.1:39050"}})
		got := false
		for _, r := range c.Routes(context.Background()) {
			got = got || r == RouteTor
		}
		c.Close()
		if got != tt.want {
			t.Errorf("mode %s: tor route %v, want %v", tt.mode, got, tt.want)
		}
	}
}
