package transport

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// LocalCandidate is a local port where circumvention tools commonly offer
// a SOCKS5 proxy, or an HTTP one.
type LocalCandidate struct {
	Addr string
	Tool string // what usually listens there, shown to the reader
	HTTP bool   // an HTTP proxy's port: asked with a CONNECT, not a SOCKS5 greeting
}

// CommonLocalProxies are the ports a first run looks at.
var CommonLocalProxies = []LocalCandidate{
	{Addr: "127.0.0.1:9050", Tool: "Tor"},
	{Addr: "127.0.0.1:9150", Tool: "Tor Browser"},
	{Addr: "127.0.0.1:1080", Tool: "SOCKS (ssh -D, Shadowsocks, Psiphon)"},
	{Addr: "127.0.0.1:1086", Tool: "ShadowsocksX"},
	{Addr: "127.0.0.1:10808", Tool: "V2Ray / Xray / v2rayN"},
	{Addr: "127.0.0.1:10809", Tool: "v2rayN (HTTP)", HTTP: true},
	{Addr: "127.0.0.1:2080", Tool: "NekoRay / Hiddify"},
	{Addr: "127.0.0.1:7890", Tool: "Clash"},
	{Addr: "127.0.0.1:7891", Tool: "Clash (SOCKS port)"},
}

// LocalProxy is a proxy found on this computer or in the environment.
type LocalProxy struct {
	Proxy Proxy
	Tool  string // Tor, Clash…; or the environment variable that names it
	// NeedsPassword: the SOCKS5 server asked for a user name and password.
	NeedsPassword bool
}

// FindLocalProxies looks for proxies a reader is likely running: each
// candidate port is asked for a SOCKS5 greeting (a port that answers
// anything else is not counted), and the environment's ALL_PROXY,
// HTTPS_PROXY and HTTP_PROXY are listed as they are. It takes at most
// about half a second; nothing leaves the computer.
func FindLocalProxies(ctx context.Context, candidates []LocalCandidate, getenv func(string) string,
	dial func(ctx context.Context, network, addr string) (net.Conn, error)) []LocalProxy {
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	found := make([]*LocalProxy, len(candidates))
	var wg sync.WaitGroup
	for i, c := range candidates {
		wg.Go(func() {
			greets, scheme := socksGreets, "socks5://"
			if c.HTTP {
				greets, scheme = httpProxyAnswers, "http://"
			}
			auth, ok := greets(ctx, dial, c.Addr)
			if !ok {
				return
			}
			p, err := ParseProxy(scheme + c.Addr)
			if err == nil {
				found[i] = &LocalProxy{Proxy: p, Tool: c.Tool, NeedsPassword: auth}
			}
		})
	}
	wg.Wait()
	var out []LocalProxy
	seen := map[string]bool{}
	for _, f := range found {
		if f != nil {
			out = append(out, *f)
			seen[f.Proxy.Route()] = true
		}
	}
	if getenv != nil {
		for _, k := range []string{"ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"} {
			env, _, _ := ProxiesFromEnv(func(name string) string {
				if name == k || name == strings.ToLower(k) {
					return getenv(name)
				}
				return ""
			})
			for _, p := range env {
				if !seen[p.Route()] {
					seen[p.Route()] = true
					out = append(out, LocalProxy{Proxy: p, Tool: k})
				}
			}
		}
	}
	return out
}

// socksGreets says whether addr answers a SOCKS5 greeting, and whether it
// wants a password.
func socksGreets(ctx context.Context, dial dialFunc, addr string) (needsPassword, ok bool) {
	return probe(ctx, dial, addr, askSOCKS)
}

// probe connects to addr and asks it with ask, within half a second.
func probe(ctx context.Context, dial dialFunc, addr string, ask func(net.Conn) (needsPassword, ok bool)) (bool, bool) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return false, false
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	return ask(conn)
}

func askSOCKS(conn net.Conn) (needsPassword, ok bool) {
	// Version 5, two methods: no authentication, user name and password.
	if _, err := conn.Write([]byte{5, 2, 0, 2}); err != nil {
		return false, false
	}
	var reply [2]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil || reply[0] != 5 {
		return false, false
	}
	switch reply[1] {
	case 0:
		return false, true
	case 2:
		return true, true
	}
	return false, false
}

// httpProxyAnswers says whether addr answers as an HTTP proxy does, and
// whether it wants a password: asked to CONNECT to this machine's discard
// port (so that nothing leaves the computer), a proxy answers 200, 403,
// 407 or a 5xx that it could not connect (tinyproxy: 500), where a web
// server answers 400, 405 or 501.
func httpProxyAnswers(ctx context.Context, dial dialFunc, addr string) (needsPassword, ok bool) {
	return probe(ctx, dial, addr, askHTTPProxy)
}

func askHTTPProxy(conn net.Conn) (needsPassword, ok bool) {
	if _, err := io.WriteString(conn, "CONNECT 127.0.0.1:9 HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"); err != nil {
		return false, false
	}
	line, err := bufio.NewReader(io.LimitReader(conn, 256)).ReadString('\n')
	if err != nil {
		return false, false
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") {
		return false, false
	}
	switch strings.TrimSpace(code) {
	case "200", "403", "500", "502", "503", "504":
		return false, true
	case "407":
		return true, true
	}
	return false, false
}

// RunningTor is the address of a Tor the reader runs (DefaultTorAddrs)
// that answers a SOCKS5 greeting, or "": Kabootar uses it rather than
// starting its own.
func RunningTor(ctx context.Context) string {
	var d net.Dialer
	for _, addr := range DefaultTorAddrs {
		if _, ok := socksGreets(ctx, d.DialContext, addr); ok {
			return addr
		}
	}
	return ""
}
