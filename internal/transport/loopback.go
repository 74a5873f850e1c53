package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// ErrNotLoopback is an address outside this machine, refused by the
// loopback client.
var ErrNotLoopback = errors.New("not an address on this machine")

// Loopback is an HTTP client for daemons on this machine (Syncthing's
// REST API): it dials loopback addresses only, never a proxy, and
// resolves nothing, so it cannot leak a byte past the machine whatever
// address it is given. tlsConfig is for a daemon that serves HTTPS with
// its own certificate (nil: plain HTTP or the system's roots).
func Loopback(timeout time.Duration, tlsConfig *tls.Config) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("%s: %w", addr, ErrNotLoopback)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:        tlsConfig,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
