package transport

import (
	"fmt"
	"net/netip"
	"strings"
)

// SystemProxy is the proxy the system's own settings name: on Windows,
// WinINET's per-user settings, which v2rayN, Clash for Windows, Psiphon
// and Lantern set rather than printing a port.
type SystemProxy struct {
	Proxies []Proxy
	// NoProxy is the bypass list, as NO_PROXY writes it.
	NoProxy string
	// PAC is the address of an automatic configuration script: reported,
	// not followed (running a script to choose a proxy is more than a
	// news reader should do).
	PAC string
}

// winINETBypassLocal is WinINET's "<local>": names without a dot.
const winINETBypassLocal = "<local>"

// ParseWinINET reads WinINET's values (Internet Settings: ProxyEnable,
// ProxyServer, ProxyOverride, AutoConfigURL). ProxyServer is either one
// host:port for every protocol (an HTTP proxy) or a list of
// protocol=host:port, where socks= is a SOCKS proxy; entries that cannot
// be used are returned as errors, the others kept.
func ParseWinINET(enable uint64, server, override, autoConfig string) (SystemProxy, []error) {
	sp := SystemProxy{PAC: strings.TrimSpace(autoConfig)}
	if enable == 0 {
		return sp, nil
	}
	var errs []error
	seen := map[string]bool{}
	add := func(kind, addr string) {
		addr = strings.TrimSpace(addr)
		if addr == "" {
			return
		}
		if i := strings.Index(addr, "://"); i >= 0 { // some tools write a scheme
			addr = addr[i+3:]
		}
		p, err := ParseProxy(kind + "://" + addr)
		if err != nil {
			errs = append(errs, fmt.Errorf("the Windows proxy setting %q: %w", addr, err))
			return
		}
		if !seen[p.Route()] {
			seen[p.Route()] = true
			sp.Proxies = append(sp.Proxies, p)
		}
	}
	server = strings.TrimSpace(server)
	if !strings.Contains(server, "=") {
		add("http", server)
	} else {
		// SOCKS first: a tool that sets both serves both, and SOCKS
		// carries names to the proxy.
		entries := strings.Split(server, ";")
		for _, e := range entries {
			if proto, addr, ok := strings.Cut(e, "="); ok && strings.EqualFold(strings.TrimSpace(proto), "socks") {
				add("socks5", addr)
			}
		}
		for _, e := range entries {
			if proto, addr, ok := strings.Cut(e, "="); ok {
				switch strings.ToLower(strings.TrimSpace(proto)) {
				case "https", "http":
					add("http", addr)
				}
			}
		}
	}
	var bypass []string
	for _, e := range strings.Split(override, ";") {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case strings.EqualFold(e, winINETBypassLocal):
			bypass = append(bypass, winINETBypassLocal)
		case strings.HasSuffix(e, ".*"):
			// 10.*, 192.168.*: an address prefix, as a range.
			if p, ok := wildcardPrefix(e); ok {
				bypass = append(bypass, p.String())
			}
		default:
			bypass = append(bypass, e)
		}
	}
	sp.NoProxy = strings.Join(bypass, ",")
	return sp, errs
}

// wildcardPrefix reads "10.*" or "192.168.*" as a range.
func wildcardPrefix(s string) (netip.Prefix, bool) {
	parts := strings.Split(strings.TrimSuffix(s, ".*"), ".")
	if len(parts) == 0 || len(parts) > 3 {
		return netip.Prefix{}, false
	}
	full := append(parts, make([]string, 4-len(parts))...)
	for i := len(parts); i < 4; i++ {
		full[i] = "0"
	}
	a, err := netip.ParseAddr(strings.Join(full, "."))
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, 8*len(parts)), true
}
