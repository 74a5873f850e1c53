package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
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
}

func newLab(t *testing.T, h http.Handler) *lab {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what some tests want
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
	return d.DialContext(ctx, network, addr)
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
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		var q dnsmessage.Message
		if r.Header.Get("Content-Type") != "application/dns-message" || q.Unpack(body) != nil || len(q.Questions) != 1 {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		qq := q.Questions[0]
		m := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true, RecursionAvailable: true}, Questions: q.Questions}
		ip, ok := answers[strings.TrimSuffix(qq.Name.String(), ".")]
		switch {
		case !ok:
			m.Header.RCode = dnsmessage.RCodeNameError
		case qq.Type == dnsmessage.TypeA:
			m.Answers = append(m.Answers, dnsmessage.Resource{
				Header: dnsmessage.ResourceHeader{Name: qq.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: netip.MustParseAddr(ip).As4()},
			})
		}
		packed, _ := m.Pack()
		w.Header().Set("Content-Type", "application/dns-message")
		w.Write(packed)
	}))
	// Every httptest server has the same certificate: trusted for example.com.
	l.t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return DoHServer{URL: "https://" + siteHost + ":" + port + "/dns-query", IP: "127.0.0.1"}
}

// socksServer is a small SOCKS5 server (RFC 1928, RFC 1929): CONNECT to a
// name or an IPv4 address, names resolved from its own table.
type socksServer struct {
	ln         net.Listener
	user, pass string
	names      map[string]string
	mu         sync.Mutex
	targets    []string
}

func startSOCKS(t *testing.T, user, pass string, names map[string]string) *socksServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socksServer{ln: ln, user: user, pass: pass, names: names}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *socksServer) addr() string { return s.ln.Addr().String() }

func (s *socksServer) url() string {
	if s.user != "" {
		return "socks5://" + s.user + ":" + s.pass + "@" + s.addr()
	}
	return "socks5://" + s.addr()
}

func (s *socksServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	io.ReadFull(r, methods)
	want := byte(0)
	if s.user != "" {
		want = 2
	}
	if !strings.ContainsRune(string(methods), rune(want)) {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 {
		v := make([]byte, 2)
		io.ReadFull(r, v)
		u := make([]byte, v[1])
		io.ReadFull(r, u)
		pl := make([]byte, 1)
		io.ReadFull(r, pl)
		p := make([]byte, pl[0])
		io.ReadFull(r, p)
		if string(u) != s.user || string(p) != s.pass {
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(r, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(r, ip)
		host = net.IP(ip).String()
	case 3:
		l := make([]byte, 1)
		io.ReadFull(r, l)
		name := make([]byte, l[0])
		io.ReadFull(r, name)
		host = string(name)
	default:
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	pb := make([]byte, 2)
	io.ReadFull(r, pb)
	port := strconv.Itoa(int(binary.BigEndian.Uint16(pb)))
	s.mu.Lock()
	s.targets = append(s.targets, net.JoinHostPort(host, port))
	s.mu.Unlock()
	if ip, ok := s.names[host]; ok {
		host = ip
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 2*time.Second)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	go io.Copy(up, r)
	io.Copy(c, up)
}

// httpProxy is a small HTTP proxy: CONNECT for https, with an optional
// user and password, names resolved from its own table.
type httpProxy struct {
	*httptest.Server
	user, pass string
	names      map[string]string
}

func startHTTPProxy(t *testing.T, user, pass string, names map[string]string) *httpProxy {
	p := &httpProxy{user: user, pass: pass, names: names}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

func (p *httpProxy) addr() string { return p.Listener.Addr().String() }

func (p *httpProxy) url() string {
	if p.user != "" {
		return "http://" + p.user + ":" + p.pass + "@" + p.addr()
	}
	return "http://" + p.addr()
}

func (p *httpProxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.user != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass))
		if r.Header.Get("Proxy-Authorization") != want {
			w.Header().Set("Proxy-Authenticate", `Basic realm="proxy"`)
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
	}
	if r.Method != http.MethodConnect {
		http.Error(w, "only CONNECT here", http.StatusMethodNotAllowed)
		return
	}
	host, port, _ := net.SplitHostPort(r.Host)
	if ip, ok := p.names[host]; ok {
		host = ip
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 2*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer up.Close()
	w.WriteHeader(http.StatusOK)
	c, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	go io.Copy(up, brw)
	io.Copy(c, up)
}

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
