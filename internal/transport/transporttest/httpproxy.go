package transporttest

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"time"
)

// HTTPProxy is a small HTTP proxy handler: CONNECT only (for https), with
// Basic authentication when User is set; Remap as for SOCKS5. Serve it
// with httptest.NewServer.
type HTTPProxy struct {
	User, Pass string
	Remap      func(target string) string
}

// URL is the proxy address of a server of it at addr.
func (p *HTTPProxy) URL(addr string) string {
	if p.User != "" {
		return "http://" + p.User + ":" + p.Pass + "@" + addr
	}
	return "http://" + addr
}

func (p *HTTPProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.User != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Pass))
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
	target := r.Host
	if p.Remap != nil {
		target = p.Remap(target)
	}
	up, err := net.DialTimeout("tcp", target, 2*time.Second)
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
