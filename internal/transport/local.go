package transport

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// LocalCandidate is a local port where circumvention tools commonly offer
// a SOCKS5 proxy.
type LocalCandidate struct {
	Addr string
	Tool string // what usually listens there, shown to the reader
}

// CommonLocalProxies are the ports a first run looks at.
var CommonLocalProxies = []LocalCandidate{
	{"127.0.0.1:9050", "Tor"},
	{"127.0.0.1:9150", "Tor Browser"},
	{"127.0.0.1:1080", "SOCKS (ssh -D, Shadowsocks, Psiphon)"},
	{"127.0.0.1:1086", "ShadowsocksX"},
	{"127.0.0.1:10808", "V2Ray / Xray / v2rayN"},
	{"127.0.0.1:2080", "NekoRay / Hiddify"},
	{"127.0.0.1:7890", "Clash"},
	{"127.0.0.1:7891", "Clash (SOCKS port)"},
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
			auth, ok := socksGreets(ctx, dial, c.Addr)
			if !ok {
				return
			}
			p, err := ParseProxy("socks5://" + c.Addr)
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
func socksGreets(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), addr string) (needsPassword, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return false, false
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
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
