package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

// Route kinds.
const (
	kindDirect = "direct"
	kindDoH    = "doh"
	kindSOCKS  = "socks5"
	kindHTTP   = "http"
)

// IsProxyRoute says whether a route's name is a proxy's address
// (socks5://host:port, http://host:port): the routes that are not
// Kabootar's own (direct, doh).
func IsProxyRoute(name string) bool {
	scheme, _, ok := strings.Cut(name, "://")
	return ok && (scheme == "socks5" || scheme == "socks5h" || scheme == "http" || scheme == "https")
}

// RouteDoH is the name of the DNS-over-HTTPS route.
const RouteDoH = "doh"

// route is one way to reach the network, with an HTTP client of its own.
type route struct {
	name    string // direct, doh, socks5://host:port, http://host:port
	kind    string
	client  *http.Client
	env     bool   // from the environment: not used for NO_PROXY hosts
	noProxy string // the NO_PROXY list, for env routes
	tor     bool
	front   string // for a front's route: the one host it carries
}

// usableFor says whether the route may carry a request to host.
func (r *route) usableFor(host string) bool {
	if r.front != "" {
		return strings.EqualFold(host, r.front)
	}
	return !r.env || !noProxyMatch(r.noProxy, host)
}

// ProxyUnreachableError is a proxy that could not be reached at all.
type ProxyUnreachableError struct {
	Proxy string // host:port
	Err   error
}

func (e *ProxyUnreachableError) Error() string {
	return fmt.Sprintf("the proxy at %s does not answer (%v); is your proxy program (Tor, Psiphon, ssh -D…) running?", e.Proxy, e.Err)
}
func (e *ProxyUnreachableError) Unwrap() error { return e.Err }

// ProxyAuthError is a proxy that refused the user name and password.
type ProxyAuthError struct {
	Proxy string
	Err   error
}

func (e *ProxyAuthError) Error() string {
	return fmt.Sprintf("the proxy at %s refused the user name or password (%v)", e.Proxy, e.Err)
}
func (e *ProxyAuthError) Unwrap() error { return e.Err }

// ProxyRefusedError is a proxy that was reached but could not, or would
// not, connect to the site.
type ProxyRefusedError struct {
	Proxy string
	Err   error
}

func (e *ProxyRefusedError) Error() string {
	return fmt.Sprintf("the proxy at %s could not reach the site: %v", e.Proxy, e.Err)
}
func (e *ProxyRefusedError) Unwrap() error { return e.Err }

// ErrStrictLookup is a name lookup that strict mode forbids.
var ErrStrictLookup = errors.New("strict mode: Kabootar looks up no name itself; give the proxy as an IP address or localhost")

// dialFunc opens a TCP connection; every connection Kabootar makes goes
// through the Client's one dialFunc.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// lookupFunc resolves a name with the system's resolver.
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func (c *Client) newTransport(dial dialFunc) *http.Transport {
	var tlsConf = c.opts.TLSConfig
	if tlsConf != nil {
		tlsConf = tlsConf.Clone()
	}
	return &http.Transport{
		Proxy:                 nil, // proxies are routes of their own
		DialContext:           dial,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   c.opts.TLSTimeout,
		ResponseHeaderTimeout: c.opts.HeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
}

func (c *Client) newHTTPClient(tr *http.Transport) *http.Client {
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if isBlockRedirect(req.URL) {
				return &BlockPageError{Signature: "redirect to " + req.URL.Host}
			}
			if len(via) >= c.opts.MaxRedirects {
				return &redirectError{n: len(via)}
			}
			return nil
		},
	}
}

// buildRoutes makes the routes the configuration allows, in the order
// they are tried when nothing is remembered.
func (c *Client) buildRoutes() []*route {
	cfg := c.opts.Config
	var routes []*route
	if cfg.Mode != ModeProxy {
		routes = append(routes, &route{name: RouteDirect, kind: kindDirect,
			client: c.newHTTPClient(c.newTransport(c.dialResolved(c.lookupChecked)))})
		if len(cfg.DoH) > 0 {
			dohTr := c.newTransport(c.dialDoHServer)
			c.doh = newDoHResolver(cfg.DoH, dohTr, c.opts.ConnectTimeout+c.opts.TLSTimeout+c.opts.HeaderTimeout)
			routes = append(routes, &route{name: RouteDoH, kind: kindDoH,
				client: c.newHTTPClient(c.newTransport(c.dialResolved(c.lookupDoH)))})
		}
		if cfg.Tactics {
			routes = append(routes, c.tacticRoutes()...)
		}
		if cfg.ECH && c.doh != nil {
			routes = append(routes, c.echRoute())
		}
		seen := map[string]bool{}
		for _, f := range cfg.Fronts {
			if !seen[f.Host+" "+f.Route()] {
				seen[f.Host+" "+f.Route()] = true
				routes = append(routes, c.frontRoute(f))
			}
		}
	}
	if cfg.Mode == ModeDirect {
		return routes
	}
	seen := map[string]bool{}
	for _, p := range cfg.Proxies {
		if !seen[p.Route()] {
			seen[p.Route()] = true
			routes = append(routes, c.proxyRoute(p))
		}
	}
	if cfg.Tor != "" {
		if p, err := ParseProxy("socks5://" + cfg.Tor); err == nil {
			r := c.proxyRoute(p)
			r.name, r.tor = RouteTor, true
			routes = append(routes, r)
		}
	}
	for _, p := range cfg.EnvProxies {
		if !seen[p.Route()] {
			seen[p.Route()] = true
			r := c.proxyRoute(p)
			r.env, r.noProxy = true, cfg.NoProxy
			routes = append(routes, r)
		}
	}
	return routes
}

func (c *Client) proxyRoute(p Proxy) *route {
	if p.Kind() == kindSOCKS {
		return &route{name: p.Route(), kind: kindSOCKS, client: c.newHTTPClient(c.newTransport(c.dialSOCKS(p)))}
	}
	tr := c.newTransport(c.dialProxy(p))
	u := *p.u
	tr.Proxy = http.ProxyURL(&u) // Go sends Proxy-Authorization from the URL's user info
	tr.OnProxyConnectResponse = func(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
		switch {
		case resp.StatusCode == http.StatusProxyAuthRequired:
			return &ProxyAuthError{Proxy: p.Addr(), Err: errors.New(resp.Status)}
		case resp.StatusCode != http.StatusOK:
			return &ProxyRefusedError{Proxy: p.Addr(), Err: errors.New(resp.Status)}
		}
		return nil
	}
	return &route{name: p.Route(), kind: kindHTTP, client: c.newHTTPClient(tr)}
}

// lookupChecked resolves with the system resolver and drops a censor's
// answers (dns-bogon).
func (c *Client) lookupChecked(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	return checkAnswer(host, addrs, c.opts.Config.TrustedNets)
}

// lookupDoH resolves over DNS-over-HTTPS, dropping bogons too.
func (c *Client) lookupDoH(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := c.doh.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	return checkAnswer(host, addrs, c.opts.Config.TrustedNets)
}

// dialResolved dials addr after resolving its host with resolve, trying
// each address in turn.
func (c *Client) dialResolved(resolve lookupFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		t := timingsFrom(ctx)
		var addrs []netip.Addr
		if ip, perr := netip.ParseAddr(host); perr == nil {
			addrs = []netip.Addr{ip} // an address needs no lookup
		} else {
			t.dnsStart()
			addrs, err = resolve(ctx, host)
			t.dnsDone()
		}
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		var errs []error
		for _, a := range addrs {
			conn, err := c.dial(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				t.connected()
				return conn, nil
			}
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}

// dialDoHServer dials a DoH resolver: at its fixed address when it has
// one, else after resolving its name with the system resolver.
func (c *Client) dialDoHServer(ctx context.Context, network, addr string) (net.Conn, error) {
	if ip, ok := fixedAddr(ctx); ok {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return c.dial(ctx, network, net.JoinHostPort(ip, port))
	}
	return c.dialResolved(c.lookupChecked)(ctx, network, addr)
}

// proxyAddr is where to dial a proxy without looking up any name in
// strict mode: an IP address, or localhost.
func (c *Client) proxyAddr(ctx context.Context, p Proxy) (string, error) {
	host, port := p.u.Hostname(), p.u.Port()
	if _, err := netip.ParseAddr(host); err == nil {
		return p.Addr(), nil
	}
	if strings.EqualFold(host, "localhost") {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if c.opts.Config.Mode == ModeProxy {
		return "", ErrStrictLookup
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return net.JoinHostPort(addrs[0].String(), port), nil
}

// dialProxyConn connects to the proxy itself; any failure is
// proxy-unreachable.
func (c *Client) dialProxyConn(ctx context.Context, p Proxy) (net.Conn, error) {
	addr, err := c.proxyAddr(ctx, p)
	if err == nil {
		var conn net.Conn
		if conn, err = c.dial(ctx, "tcp", addr); err == nil {
			timingsFrom(ctx).connected()
			return conn, nil
		}
	}
	return nil, &ProxyUnreachableError{Proxy: p.Addr(), Err: err}
}

// dialProxy is an HTTP proxy route's dialer: the transport asks it for a
// connection to the proxy.
func (c *Client) dialProxy(p Proxy) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return c.dialProxyConn(ctx, p)
	}
}

// dialSOCKS connects through a SOCKS5 proxy, which resolves the name.
func (c *Client) dialSOCKS(p Proxy) dialFunc {
	var auth *proxy.Auth
	if user, pass, ok := p.userPass(); ok {
		auth = &proxy.Auth{User: user, Password: pass}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		fwd := forwardDialer{dial: func(ctx context.Context) (net.Conn, error) { return c.dialProxyConn(ctx, p) }}
		d, err := proxy.SOCKS5("tcp", p.Addr(), auth, fwd)
		if err != nil {
			return nil, err
		}
		conn, err := d.(proxy.ContextDialer).DialContext(ctx, network, addr)
		if err != nil {
			var pu *ProxyUnreachableError
			if errors.As(err, &pu) {
				return nil, pu
			}
			return nil, socksError(p, err)
		}
		return conn, nil
	}
}

// socksError types what the SOCKS handshake said. x/net/proxy gives its
// errors as text only, so the text is read here, in one place.
func socksError(p Proxy, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "authentication"), strings.Contains(msg, "username/password"):
		return &ProxyAuthError{Proxy: p.Addr(), Err: err}
	case strings.Contains(msg, "connection refused"):
		return &ProxyRefusedError{Proxy: p.Addr(), Err: fmt.Errorf("%w: %w", err, errRefusedByTarget)}
	}
	return &ProxyRefusedError{Proxy: p.Addr(), Err: err}
}

var errRefusedByTarget = errors.New("the site refused the connection")

// forwardDialer hands x/net/proxy our connection to the proxy.
type forwardDialer struct {
	dial func(ctx context.Context) (net.Conn, error)
}

func (f forwardDialer) Dial(network, addr string) (net.Conn, error) {
	return f.dial(context.Background())
}

func (f forwardDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f.dial(ctx)
}
