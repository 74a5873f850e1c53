package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Front is domain fronting for one host: connect to Addr (or Front's own
// address), speak TLS to Front (its name in the hello, its certificate
// checked), and ask for Host in the HTTP request. A CDN that serves both
// names passes the request on; a censor sees only Front.
type Front struct {
	Host  string // the site, as in its URLs
	Front string // the name the censor sees
	Addr  string // optional: IP or IP:port to connect to
}

// ErrBadFront is a --front value that cannot be used.
var ErrBadFront = errors.New("not a usable front")

// VerdictFrontCertInvalid is a front whose certificate is not valid for
// the front's name.
const VerdictFrontCertInvalid Verdict = "front-cert-invalid"

// RoutePrefixFront begins the name of a front's route: front:FRONT.
const RoutePrefixFront = "front:"

const kindFront = "front"

// ParseFront reads HOST=FRONT[@ADDR] as typed.
func ParseFront(s string) (Front, error) {
	s = strings.TrimSpace(s)
	host, rest, ok := strings.Cut(s, "=")
	if !ok {
		return Front{}, fmt.Errorf("%w: %q: write it as HOST=FRONT or HOST=FRONT@ADDRESS, as news.example=cdn.example@192.0.2.7", ErrBadFront, s)
	}
	front, addr, _ := strings.Cut(rest, "@")
	f := Front{Host: strings.ToLower(strings.TrimSuffix(host, ".")), Front: strings.ToLower(strings.TrimSuffix(front, ".")), Addr: addr}
	for _, n := range []string{f.Host, f.Front} {
		if !isHostName(n) {
			return Front{}, fmt.Errorf("%w: %q: %q is not a host name (no https://, no path)", ErrBadFront, s, n)
		}
	}
	if f.Host == f.Front {
		return Front{}, fmt.Errorf("%w: %q: a front is another name than the site's", ErrBadFront, s)
	}
	if f.Addr != "" {
		if _, err := netip.ParseAddr(f.Addr); err == nil {
			f.Addr = net.JoinHostPort(f.Addr, "443")
		}
		if _, err := netip.ParseAddrPort(f.Addr); err != nil {
			return Front{}, fmt.Errorf("%w: %q: the address %q is not an IP address (with an optional :port)", ErrBadFront, s, addr)
		}
	}
	return f, nil
}

// String is how the front is written back.
func (f Front) String() string {
	if f.Addr != "" {
		return f.Host + "=" + f.Front + "@" + strings.TrimSuffix(f.Addr, ":443")
	}
	return f.Host + "=" + f.Front
}

// Route is the front's route name.
func (f Front) Route() string { return RoutePrefixFront + f.Front }

func isHostName(s string) bool {
	if s == "" || len(s) > 253 || strings.ContainsAny(s, "/:@ ") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// frontRoute carries requests for f.Host only.
func (c *Client) frontRoute(f Front) *route {
	tr := c.newTransport(func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("a front carries https only")
	})
	tr.DialTLSContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		addr := f.Addr
		if addr == "" {
			addr = net.JoinHostPort(f.Front, "443")
		}
		conn, err := c.dialResolved(c.lookupTactic)(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		signal(ctx, func(s signals) chan<- struct{} { return s.connected })
		conf := c.tlsClientConfig(f.Front) // the certificate is checked as the front's
		tc, err := c.handshake(ctx, conn, conf)
		if err != nil {
			return nil, &frontTLSError{err}
		}
		return tc, nil
	}
	r := &route{name: f.Route(), kind: kindFront, client: c.newHTTPClient(tr), front: f.Host}
	return r
}

// tlsClientConfig is the client's TLS configuration for serverName, over
// HTTP/1.1 (the routes that make their own handshake hand net/http a
// finished connection).
func (c *Client) tlsClientConfig(serverName string) *tls.Config {
	conf := &tls.Config{}
	if c.opts.TLSConfig != nil {
		conf = c.opts.TLSConfig.Clone()
	}
	conf.ServerName = serverName
	conf.NextProtos = []string{"http/1.1"}
	return conf
}

// handshake makes a TLS client handshake on conn within TLSTimeout; on
// failure conn is closed.
func (c *Client) handshake(ctx context.Context, conn net.Conn, conf *tls.Config) (*tls.Conn, error) {
	tc := tls.Client(conn, conf)
	hctx, cancel := context.WithTimeout(ctx, c.opts.TLSTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// frontTLSError is a failed handshake with a front: its phase is TLS even
// though net/http saw it in the dial.
type frontTLSError struct{ err error }

func (e *frontTLSError) Error() string { return "front: " + e.err.Error() }
func (e *frontTLSError) Unwrap() error { return e.err }

// frontVerdict are the failures of a plain attempt that a front may beat:
// the tactics' and an origin that cannot be reached or looked up at all.
func frontVerdict(v Verdict) bool {
	switch v {
	case VerdictTCPTimeout, VerdictTCPRefused, VerdictDNSBogon, VerdictDNSNXDomain, VerdictDNSTimeout:
		return true
	}
	return tacticVerdict(v)
}
