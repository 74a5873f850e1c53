package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Client. Zero values take the defaults below.
type Options struct {
	UserAgent      string
	ConnectTimeout time.Duration // TCP connect
	TLSTimeout     time.Duration // TLS handshake
	HeaderTimeout  time.Duration // from request sent to response headers
	RequestTimeout time.Duration // the whole attempt, body included
	MaxBytes       int64         // body cap when a Request sets none
	MaxRedirects   int
	// TLSConfig is cloned for every connection; nil means the system's roots.
	TLSConfig *tls.Config
	Logger    *slog.Logger

	// Config chooses the routes; the zero Config is auto mode with the
	// direct route only.
	Config Config
	// Memory keeps route records across runs; nil keeps them in memory.
	Memory Memory

	// Stagger is the wait before each further attempt of a request starts,
	// unless one fails first; the last value repeats. HeadStart is how long
	// a remembered winner runs alone. MaxInFlight bounds the attempts of one
	// request running at once.
	Stagger     []time.Duration
	HeadStart   time.Duration
	MaxInFlight int
	// GiveUp ends a request when no attempt has connected within it.
	GiveUp time.Duration

	// Dial and Lookup replace the system's dialer and resolver: every
	// connection and every name lookup Kabootar makes goes through them.
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error)
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	Now    func() time.Time
}

// Defaults. A feed larger than 20 MB is not a feed; a server that has not
// answered in a minute will not.
const (
	DefaultUserAgent      = "Kabootar/0.1 (+https://github.com/kabootar/kabootar)"
	DefaultConnectTimeout = 10 * time.Second
	DefaultTLSTimeout     = 10 * time.Second
	DefaultHeaderTimeout  = 20 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxBytes       = 20 << 20
	DefaultMaxRedirects   = 10
	DefaultHeadStart      = time.Second
	DefaultMaxInFlight    = 3
	DefaultGiveUp         = 8 * time.Second
)

// DefaultStagger starts the second attempt after 250 ms, the next ones
// after 1 s and then 2 s: a blocked route costs at most that, not a
// 30-second timeout.
var DefaultStagger = []time.Duration{250 * time.Millisecond, time.Second, 2 * time.Second}

// Client fetches requests over the routes its Config allows. It is safe for
// concurrent use; make one per process and share it.
type Client struct {
	opts   Options
	log    *slog.Logger
	dial   dialFunc
	lookup lookupFunc
	doh    *dohResolver
	book   *book

	mu     sync.Mutex
	routes []*route
	probed bool // the Tor probe ran
}

// New returns a Client with opts, defaults filled in. Nothing is contacted
// until the first Fetch.
func New(opts Options) *Client {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.TLSTimeout <= 0 {
		opts.TLSTimeout = DefaultTLSTimeout
	}
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = DefaultHeaderTimeout
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if len(opts.Stagger) == 0 {
		opts.Stagger = DefaultStagger
	}
	if opts.HeadStart <= 0 {
		opts.HeadStart = DefaultHeadStart
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.GiveUp <= 0 {
		opts.GiveUp = DefaultGiveUp
	}
	if opts.Config.Mode == "" {
		opts.Config.Mode = ModeAuto
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c := &Client{opts: opts, log: opts.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	dial := opts.Dial
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	c.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
		defer cancel()
		return dial(ctx, network, addr)
	}
	c.lookup = opts.Lookup
	if c.lookup == nil {
		c.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if opts.Config.Mode == ModeProxy {
		// Strict mode: the system resolver is never asked anything.
		c.lookup = func(context.Context, string) ([]netip.Addr, error) { return nil, ErrStrictLookup }
	}
	c.book = newBook(opts.Memory, opts.Now)
	c.routes = c.buildRoutes()
	return c
}

// Close releases idle connections.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.routes {
		r.client.CloseIdleConnections()
	}
	if c.doh != nil {
		c.doh.client.CloseIdleConnections()
	}
}

// Routes names the routes the client may use now, in their default order.
func (c *Client) Routes(ctx context.Context) []string {
	var names []string
	for _, r := range c.activeRoutes(ctx) {
		names = append(names, r.name)
	}
	return names
}

// activeRoutes are the configured routes, and a local Tor when the probe
// finds one (auto mode, no proxy configured).
func (c *Client) activeRoutes(ctx context.Context) []*route {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.opts.Config
	if !c.probed && cfg.Mode == ModeAuto && len(cfg.Proxies) == 0 {
		c.probed = true
		for _, addr := range cfg.TorAddrs {
			pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			conn, err := c.dial(pctx, "tcp", addr)
			cancel()
			if err != nil {
				continue
			}
			conn.Close()
			p, err := ParseProxy("socks5://" + addr)
			if err != nil {
				continue
			}
			r := c.proxyRoute(p)
			r.tor = true
			c.routes = append(c.routes, r)
			c.log.Info("found a local Tor", "addr", addr)
			break
		}
	}
	return append([]*route(nil), c.routes...)
}

// routeNamed is the active route called name when it may serve host, or
// nil.
func (c *Client) routeNamed(ctx context.Context, name, host string) *route {
	if name == "" {
		return nil
	}
	for _, r := range c.activeRoutes(ctx) {
		if r.name == name && r.usableFor(host) && (r.kind != kindDoH || isPublicName(host)) {
			return r
		}
	}
	return nil
}

// spec is one planned attempt.
type spec struct {
	r   *route
	url string
	// gated: a tactic, started only once a plain attempt at url failed in
	// a way it may beat.
	gated bool
}

// plan orders the attempts of a request: the remembered winner first (with
// a head start), then URL by URL (the main one first), each on every route
// in order, then the tactics (which cost nothing while direct works: they
// wait for direct to fail, unless it failed for this host before); attempts
// that failed moments ago go last.
func (c *Client) plan(ctx context.Context, host string, req *Request) (specs []spec, headStart bool) {
	routes := c.activeRoutes(ctx)
	urls := append([]string{req.URL}, req.Alternatives...)
	win, remembered := c.book.winner(ctx, host)
	if remembered && !slices.Contains(urls, win.URL) {
		win.URL = req.URL // the route that works for this host, on this request's URL
	}
	directFailed := c.book.failedBefore(ctx, host, RouteDirect)
	var first, fresh, tactics, stale []spec
	for _, u := range urls {
		uh := hostOf(u)
		for _, r := range routes {
			if !r.usableFor(uh) {
				continue
			}
			if r.kind == kindDoH && !isPublicName(uh) {
				continue // no name to resolve: the same as direct
			}
			if (r.kind == kindTactic || r.kind == kindFront || r.kind == kindECH) && !strings.HasPrefix(u, "https://") {
				continue // no TLS hello to shape
			}
			if r.kind == kindECH && !isPublicName(uh) {
				continue // no HTTPS record to read
			}
			s := spec{r: r, url: u}
			switch {
			case remembered && win.Route == r.name && win.URL == u:
				first = append(first, s)
			case c.book.failedRecently(ctx, host, r.name, u):
				stale = append(stale, s)
			case r.kind == kindTactic || r.kind == kindFront || r.kind == kindECH:
				s.gated = !directFailed
				tactics = append(tactics, s)
			default:
				fresh = append(fresh, s)
			}
		}
	}
	return slices.Concat(first, fresh, tactics, stale), len(first) > 0
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// Fetch gets req.URL, or one of its alternatives, over the routes allowed,
// and returns the first valid answer. Attempts start staggered and race;
// when one succeeds the others are cancelled (and not counted as failures).
// When none is valid it returns an *Error listing every attempt.
func (c *Client) Fetch(ctx context.Context, req *Request) (*Response, error) {
	start := time.Now()
	host := hostOf(req.URL)
	var first []Attempt
	if r := c.routeNamed(ctx, req.Route, host); r != nil {
		resp, a := c.attempt(ctx, r, req.URL, req)
		if resp != nil {
			// Not noted: the route is known to work, and a thousand images
			// need not make a thousand records.
			resp.Attempts = []Attempt{a}
			resp.Elapsed = time.Since(start)
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, &Error{URL: req.URL, Attempts: []Attempt{a}}
		}
		c.book.note(ctx, host, a)
		first = append(first, a)
	}
	specs, headStart := c.plan(ctx, host, req)
	if len(specs) == 0 {
		err := errors.New("no route is configured")
		v := VerdictNetwork
		if c.opts.Config.Mode == ModeProxy {
			err = errors.New("strict mode is on but no proxy is configured; add one with 'kabootar transport set --proxy socks5://127.0.0.1:1080'")
			v = VerdictProxyUnreachable
		}
		return nil, &Error{URL: req.URL, Attempts: []Attempt{{URL: req.URL, Verdict: v, Err: err}}}
	}
	resp, attempts := c.race(ctx, host, req, specs, headStart)
	attempts = append(first, attempts...)
	if resp != nil {
		resp.Attempts = attempts
		resp.Elapsed = time.Since(start)
		return resp, nil
	}
	if len(attempts) == 0 {
		return nil, fmt.Errorf("fetch %s: %w", req.URL, context.Cause(ctx))
	}
	return nil, &Error{URL: req.URL, Attempts: attempts}
}

// race runs the planned attempts, staggered, at most MaxInFlight at once.
// It is long because the race is one select loop: starting, staggering
// and collecting share its state, and split they would need locks.
func (c *Client) race(ctx context.Context, host string, req *Request, specs []spec, headStart bool) (*Response, []Attempt) {
	actx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(context.Canceled) }
	defer cancel()
	type result struct {
		resp *Response
		a    Attempt
		spec int
	}
	results := make(chan result, len(specs))
	// An attempt that has its answer's first byte is not blocked: the next
	// one waits longer, so a site that is merely slow to send (or a busy
	// machine parsing) is not fetched twice.
	progress := make(chan struct{}, len(specs))
	// Until some attempt connects, the request may give up: when no route
	// reaches anything, the network is down or everything is cut, and
	// waiting out every timeout in turn would help nobody.
	connected := make(chan struct{}, len(specs))
	everConnected := false
	giveUp := time.NewTimer(c.opts.GiveUp)
	defer giveUp.Stop()
	patience := time.NewTimer(frontPatience)
	defer patience.Stop()
	// gone: URLs whose origin itself answered 404 or 410 over verified
	// TLS. Every route reaches the same origin, so the other attempts at
	// that URL are stopped (and not held against their routes); a mirror
	// is another URL and is still tried. Other statuses are not final: a
	// 403 may be the origin refusing this country, which a proxy avoids.
	gone := map[string]bool{}
	stop := make([]context.CancelFunc, len(specs))
	stopped := make([]bool, len(specs))
	launched := make([]bool, len(specs))
	// A gated spec (a tactic) waits until a plain attempt at its URL has
	// failed in a way a tactic may beat; released says which may start.
	released := make([]bool, len(specs))
	started, inFlight := 0, 0
	eligible := func() int {
		for i, s := range specs {
			if !launched[i] && !gone[s.url] && (!s.gated || released[i]) {
				return i
			}
		}
		return -1
	}
	more := func() bool { return eligible() >= 0 }
	launch := func() {
		i := eligible()
		if i < 0 {
			return
		}
		s := specs[i]
		launched[i] = true
		started++
		inFlight++
		sctx, scancel := context.WithCancel(actx)
		stop[i] = scancel
		go func() {
			defer scancel()
			resp, a := c.attempt(withSignals(sctx, progress, connected), s.r, s.url, req)
			results <- result{resp, a, i}
		}()
	}
	wait := func() time.Duration { // before launching the next spec
		if started == 1 && headStart {
			return c.opts.HeadStart
		}
		return c.opts.Stagger[min(started-1, len(c.opts.Stagger)-1)]
	}
	launch()
	timer := time.NewTimer(wait())
	defer timer.Stop()
	var attempts []Attempt
	for inFlight > 0 {
		select {
		case res := <-results:
			inFlight--
			if res.resp != nil {
				attempts = append(attempts, res.a)
				c.book.note(ctx, host, res.a)
				return res.resp, attempts
			}
			if ctx.Err() != nil {
				// The caller gave up: not the route's fault.
				attempts = append(attempts, res.a)
				continue
			}
			if stopped[res.spec] {
				// Stopped because the origin answered another route: its
				// place goes to what remains (a mirror).
				if more() && inFlight < c.opts.MaxInFlight {
					launch()
					timer.Reset(wait())
				}
				continue
			}
			attempts = append(attempts, res.a)
			c.book.note(ctx, host, res.a)
			if originGone(res.a) {
				gone[res.a.URL] = true
				for i, s := range specs {
					if launched[i] && s.url == res.a.URL && i != res.spec && stop[i] != nil {
						stopped[i] = true
						stop[i]()
					}
				}
			}
			c.log.Debug("attempt failed", "url", res.a.URL, "route", res.a.Route, "verdict", res.a.Verdict, "err", res.a.Err)
			if k := specs[res.spec].r.kind; k == kindDirect || k == kindDoH {
				for i, s := range specs {
					if s.gated && s.url == res.a.URL && (s.r.kind == kindTactic && tacticVerdict(res.a.Verdict) ||
						(s.r.kind == kindFront || s.r.kind == kindECH) && frontVerdict(res.a.Verdict)) {
						released[i] = true
					}
				}
			}
			// A failure frees its place at once: no need to wait out the stagger.
			if more() && inFlight < c.opts.MaxInFlight {
				launch()
				timer.Reset(wait())
			}
		case <-progress:
			if more() {
				timer.Reset(answeringGrace)
			}
		case <-connected:
			everConnected = true
		case <-patience.C:
			// Nothing has connected: the origin's address may be blocked
			// (packets dropped, no failure for a long while). The fronts
			// and ECH, which may reach another address, start now, past
			// the cap.
			if everConnected {
				continue
			}
			for i, s := range specs {
				if s.gated && (s.r.kind == kindFront || s.r.kind == kindECH) {
					released[i] = true
				}
			}
			for i := eligible(); i >= 0 && (specs[i].r.kind == kindFront || specs[i].r.kind == kindECH); i = eligible() {
				launch()
			}
		case <-giveUp.C:
			if everConnected {
				continue
			}
			c.log.Debug("giving up: no route connected", "url", req.URL, "after", c.opts.GiveUp)
			cancelCause(errGaveUp)
			for inFlight > 0 {
				res := <-results
				inFlight--
				attempts = append(attempts, res.a)
				c.book.note(ctx, host, res.a)
			}
			return nil, attempts
		case <-timer.C:
			if more() && inFlight < c.opts.MaxInFlight {
				launch()
			}
			if more() {
				timer.Reset(wait())
			}
		case <-ctx.Done():
			cancel()
			// Collect the attempts, which now end quickly.
			for inFlight > 0 {
				res := <-results
				inFlight--
				attempts = append(attempts, res.a)
			}
			return nil, attempts
		}
	}
	return nil, attempts
}

// readBody reads an answer's body, up to limit+1 bytes (so that a larger
// one is seen as such). When the server said how long it is, the body is
// read into one buffer of that size: io.ReadAll would grow its buffer from
// 512 bytes, leaving garbage of twice the body for every image and feed.
func readBody(r io.Reader, limit, size int64) ([]byte, error) {
	if size <= 0 || size > limit {
		return io.ReadAll(io.LimitReader(r, limit+1))
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // fewer bytes than it said
		}
		return nil, err
	}
	return b, nil
}

// originGone says whether an attempt's answer came from the origin itself
// (over TLS with its certificate checked, whatever the route) and says the
// URL does not exist.
func originGone(a Attempt) bool {
	var se *StatusError
	return strings.HasPrefix(a.URL, "https://") && errors.As(a.Err, &se) &&
		(se.Code == http.StatusNotFound || se.Code == http.StatusGone)
}

// answeringGrace is how long an attempt that is receiving its answer runs
// before another starts beside it: long enough for a big feed on a slow
// link, short enough that a throttled route does not hold up the news.
const answeringGrace = 5 * time.Second

// frontPatience is how long a request waits for any attempt to connect
// before its fronts start.
const frontPatience = 1500 * time.Millisecond

// errGaveUp cancels the attempts of a request when none connected within
// Options.GiveUp.
var errGaveUp = errors.New("no route connected in time")

type signalsKey struct{}

type signals struct{ progress, connected chan<- struct{} }

func withSignals(ctx context.Context, progress, connected chan<- struct{}) context.Context {
	return context.WithValue(ctx, signalsKey{}, signals{progress, connected})
}

func signal(ctx context.Context, pick func(signals) chan<- struct{}) {
	if s, ok := ctx.Value(signalsKey{}).(signals); ok {
		select {
		case pick(s) <- struct{}{}:
		default:
		}
	}
}

// attempt makes one try of one URL on one route. It returns either a valid
// response or nil and the failed attempt with its verdict.
// It is long because an attempt is one sequence (dial, request, head
// check, body, validity) whose every step records into the same Attempt.
func (c *Client) attempt(ctx context.Context, r *route, rawURL string, req *Request) (*Response, Attempt) {
	start := time.Now()
	tm := &timings{start: start}
	a := Attempt{Route: r.name, URL: rawURL}
	// How far the attempt got; the trace hooks set it from the transport's
	// goroutines.
	var ph atomic.Int32
	fail := func(v Verdict, err error) (*Response, Attempt) {
		if errors.Is(context.Cause(ctx), errGaveUp) {
			// Still connecting when the request gave up: a timeout, or a
			// proxy that does not answer.
			v = classify(fmt.Errorf("%w: %w", err, os.ErrDeadlineExceeded), phase(ph.Load()))
			if (r.kind == kindSOCKS || r.kind == kindHTTP) && tm.get().Connect == 0 {
				v = VerdictProxyUnreachable
			}
		}
		a.Verdict, a.Err, a.Elapsed, a.Timings = v, err, time.Since(start), tm.get()
		return nil, a
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if err == nil {
			err = fmt.Errorf("%q is not an http or https address", rawURL)
		}
		return fail(VerdictURLInvalid, err)
	}

	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	trace := &httptrace.ClientTrace{
		TLSHandshakeStart: func() { ph.Store(int32(phaseTLS)) },
		TLSHandshakeDone:  func(tls.ConnectionState, error) { tm.tlsDone() },
		GotConn: func(httptrace.GotConnInfo) {
			ph.Store(int32(phaseHTTP))
			signal(ctx, func(s signals) chan<- struct{} { return s.connected })
		},
		GotFirstResponseByte: func() {
			tm.firstByte()
			signal(ctx, func(s signals) chan<- struct{} { return s.progress })
		},
	}
	ctx = httptrace.WithClientTrace(withTimings(ctx, tm), trace)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(VerdictURLInvalid, err)
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}

	hresp, err := r.client.Do(hreq)
	if err != nil {
		var bp *BlockPageError
		if errors.As(err, &bp) {
			return fail(VerdictHTTPBlockpage, bp)
		}
		return fail(classify(err, phase(ph.Load())), err)
	}
	defer hresp.Body.Close()

	resp := &Response{
		Route:        r.name,
		URL:          rawURL,
		FinalURL:     hresp.Request.URL.String(),
		Status:       hresp.StatusCode,
		Header:       hresp.Header,
		ETag:         hresp.Header.Get("ETag"),
		LastModified: hresp.Header.Get("Last-Modified"),
	}
	switch {
	case hresp.StatusCode == http.StatusNotModified:
		resp.NotModified = true
		// A 304 keeps the validators we sent when it repeats none.
		if resp.ETag == "" {
			resp.ETag = req.ETag
		}
		if resp.LastModified == "" {
			resp.LastModified = req.LastModified
		}
		a.Elapsed, a.Timings = time.Since(start), tm.get()
		return resp, a
	case hresp.StatusCode == http.StatusUnavailableForLegalReasons:
		return fail(VerdictHTTPBlockpage, &BlockPageError{Signature: "HTTP 451"})
	case hresp.StatusCode == http.StatusProxyAuthRequired && r.kind == kindHTTP:
		return fail(VerdictProxyAuth, &ProxyAuthError{Proxy: r.name, Err: errors.New(cleanStatus(hresp.Status))})
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		// A censor's block page comes with any status (Iran's with 403):
		// its head is read for the signatures before the status is blamed.
		head, _ := io.ReadAll(io.LimitReader(hresp.Body, blockPageHead))
		if sig, ok := blockPageIn(head); ok {
			return fail(VerdictHTTPBlockpage, &BlockPageError{Signature: sig})
		}
		return fail(VerdictHTTPStatus, &StatusError{Code: hresp.StatusCode, Status: cleanStatus(hresp.Status)})
	}

	limit := req.MaxBytes
	if limit <= 0 {
		limit = c.opts.MaxBytes
	}
	if hresp.ContentLength > limit {
		return fail(VerdictBodyTooLarge, &TooLargeError{Limit: limit})
	}
	body, err := readBody(hresp.Body, limit, hresp.ContentLength)
	if err != nil {
		return fail(classify(err, phaseHTTP), fmt.Errorf("reading the answer: %w", err))
	}
	if int64(len(body)) > limit {
		return fail(VerdictBodyTooLarge, &TooLargeError{Limit: limit})
	}
	if sig, ok := blockPageIn(body); ok {
		return fail(VerdictHTTPBlockpage, &BlockPageError{Signature: sig})
	}
	resp.Body = body
	if req.Check != nil {
		if err := req.Check(resp); err != nil {
			return fail(VerdictBodyInvalid, &CheckError{Err: err})
		}
	}
	a.Elapsed, a.Timings = time.Since(start), tm.get()
	return resp, a
}
