package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// A lab in one process: an origin with a certificate for example.com, a
// fake system resolver, a DoH resolver, a SOCKS5 proxy and an HTTP proxy,
// all on loopback, and a dialer that sees (and can break) every connection.

const siteHost = "example.com" // httptest's certificate names it

type lab struct {
	t      *testing.T
	origin *httptest.Server
	port   string
	roots  *x509.CertPool

	mu      sync.Mutex
	dials   []string          // every address dialed
	lookups []string          // every name looked up with the "system" resolver
	dns     map[string]string // the "system" resolver's answers: name -> IP
	broken  map[string]string // addr -> "blackhole", "reset", "slow"
	// censor, when set, stands between the client and every address it
	// dials, seeing each write (a TCP segment: Go's sockets have Nagle off).
	censor func(net.Conn) net.Conn
}

func newLab(t *testing.T, h http.Handler) *lab { return newLabTLS(t, h, nil) }

// newLabTLS is newLab with the origin's own TLS configuration (its
// certificate is still httptest's).
func newLabTLS(t *testing.T, h http.Handler, conf *tls.Config) *lab {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what some tests want
	srv.TLS = conf
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return &lab{t: t, origin: srv, port: port, roots: roots,
		dns: map[string]string{siteHost: "127.0.0.1"}, broken: map[string]string{}}
}

// url is the origin's address under its real name.
func (l *lab) url(path string) string { return "https://" + siteHost + ":" + l.port + path }

func (l *lab) originAddr() string { return "127.0.0.1:" + l.port }

func (l *lab) breakAddr(addr, how string) {
	l.mu.Lock()
	l.broken[addr] = how
	l.mu.Unlock()
}

func (l *lab) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	l.dials = append(l.dials, addr)
	how := l.broken[addr]
	l.mu.Unlock()
	switch how {
	case "blackhole":
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	case "reset":
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNRESET}
	case "slow":
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err == nil && l.censor != nil {
		conn = l.censor(conn)
	}
	return conn, err
}

func (l *lab) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	l.mu.Lock()
	l.lookups = append(l.lookups, host)
	ip, ok := l.dns[host]
	l.mu.Unlock()
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []netip.Addr{netip.MustParseAddr(ip)}, nil
}

func (l *lab) dialed(addr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, d := range l.dials {
		if d == addr {
			n++
		}
	}
	return n
}

// options are Client options wired to the lab; cfg chooses the routes.
func (l *lab) options(cfg Config) Options {
	cfg.TrustedNets = append(cfg.TrustedNets, netip.MustParsePrefix("127.0.0.0/8"))
	return Options{
		Config:         cfg,
		TLSConfig:      &tls.Config{RootCAs: l.roots},
		Dial:           l.dial,
		Lookup:         l.lookup,
		ConnectTimeout: 2 * time.Second,
		HeaderTimeout:  2 * time.Second,
		RequestTimeout: 4 * time.Second,
	}
}

// dohServer answers DNS-over-HTTPS queries from answers (name -> IP); a
// name it does not know is NXDOMAIN. It serves on the origin's certificate,
// so the lab's roots trust it under the name example.com.
func (l *lab) dohServer(answers map[string]string) DoHServer {
	return l.dohServerRecords(answers, nil)
}

// dohServerRecords is dohServer with HTTPS records too.
func (l *lab) dohServerRecords(answers map[string]string, https map[string]transporttest.HTTPS) DoHServer {
	srv := httptest.NewTLSServer(transporttest.DoHRecords(answers, https))
	// Every httptest server has the same certificate: trusted for example.com.
	l.t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return DoHServer{URL: "https://" + siteHost + ":" + port + "/dns-query", IP: "127.0.0.1"}
}

// socksServer is transporttest's SOCKS5 server, names resolved from its
// own table.
type socksServer struct{ *transporttest.SOCKS5 }

func startSOCKS(t *testing.T, user, pass string, names map[string]string) socksServer {
	s := &transporttest.SOCKS5{User: user, Pass: pass, Remap: transporttest.RemapNames(names)}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return socksServer{s}
}

func (s socksServer) addr() string { return s.Addr() }
func (s socksServer) url() string  { return s.URL() }

// httpProxy is transporttest's CONNECT proxy, names resolved from its own
// table.
type httpProxy struct {
	srv *httptest.Server
	p   *transporttest.HTTPProxy
}

func startHTTPProxy(t *testing.T, user, pass string, names map[string]string) httpProxy {
	p := &transporttest.HTTPProxy{User: user, Pass: pass, Remap: transporttest.RemapNames(names)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return httpProxy{srv: srv, p: p}
}

func (p httpProxy) addr() string { return p.srv.Listener.Addr().String() }
func (p httpProxy) url() string  { return p.p.URL(p.addr()) }

func mustProxy(t *testing.T, s string) Proxy {
	t.Helper()
	p, err := ParseProxy(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func okHandler(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
}
