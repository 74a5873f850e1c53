package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Mode says which routes a Client may use.
type Mode string

const (
	// ModeAuto uses every route: direct, DoH, the configured proxies, a
	// local Tor, and the environment's proxies.
	ModeAuto Mode = "auto"
	// ModeDirect uses direct and DoH only.
	ModeDirect Mode = "direct"
	// ModeProxy is strict mode: only the configured proxies. Nothing else
	// leaves the machine: no local DNS lookup, no direct connection.
	ModeProxy Mode = "proxy"
)

// ParseMode reads a mode as typed.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeAuto, ModeDirect, ModeProxy:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q: use auto, direct or proxy", s)
}

// Proxy is a configured proxy: socks5://[user:pass@]host:port (socks5h://
// too: names are always resolved by the proxy) or http://[user:pass@]host:port.
type Proxy struct {
	u *url.URL
}

// ErrBadProxy is a proxy URL that cannot be used.
var ErrBadProxy = errors.New("not a usable proxy address")

// ErrBadDoH is a DNS-over-HTTPS resolver that cannot be used.
var ErrBadDoH = errors.New("not a usable DNS-over-HTTPS resolver")

// ParseProxy reads a proxy URL. Errors never repeat the password.
func ParseProxy(s string) (Proxy, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return Proxy{}, fmt.Errorf("%w: %s: it does not parse; write it as socks5://127.0.0.1:1080 or http://127.0.0.1:8118", ErrBadProxy, redactRaw(s))
	}
	switch u.Scheme {
	case "socks5", "socks5h":
		u.Scheme = "socks5"
	case "http":
	case "":
		return Proxy{}, fmt.Errorf("%w: %s: give its kind, as socks5://%s or http://%s", ErrBadProxy, redactRaw(s), u.Host, u.Host)
	default:
		return Proxy{}, fmt.Errorf("%w: %s: only socks5:// and http:// proxies are supported", ErrBadProxy, redact(u))
	}
	if u.Hostname() == "" || u.Port() == "" {
		return Proxy{}, fmt.Errorf("%w: %s: it needs a host and a port, as socks5://127.0.0.1:1080", ErrBadProxy, redact(u))
	}
	if u.Path != "" && u.Path != "/" {
		return Proxy{}, fmt.Errorf("%w: %s: a proxy address has no path", ErrBadProxy, redact(u))
	}
	u.Path, u.RawQuery, u.Fragment = "", "", ""
	return Proxy{u: u}, nil
}

// String is the proxy URL with its password shown as ***.
func (p Proxy) String() string { return redact(p.u) }

// Route is the proxy's route name: its URL without credentials.
func (p Proxy) Route() string { return p.u.Scheme + "://" + p.u.Host }

// Kind is "socks5" or "http".
func (p Proxy) Kind() string { return p.u.Scheme }

// Addr is host:port.
func (p Proxy) Addr() string { return p.u.Host }

// URL is the full URL, password included: for storing the setting and for
// dialing, never for showing.
func (p Proxy) URL() string { return p.u.String() }

func (p Proxy) userPass() (user, pass string, ok bool) {
	if p.u.User == nil {
		return "", "", false
	}
	pass, _ = p.u.User.Password()
	return p.u.User.Username(), pass, true
}

func redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil {
		return u.String()
	}
	c := *u
	if _, has := u.User.Password(); has {
		c.User = url.UserPassword(u.User.Username(), "***")
	}
	return strings.Replace(c.String(), "%2A%2A%2A", "***", 1)
}

// redactRaw hides what looks like a password in text that did not parse.
func redactRaw(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				return s[:i+3] + rest[:c] + ":***" + rest[at:]
			}
		}
	}
	return s
}

// DoHServer is a DNS-over-HTTPS resolver (RFC 8484): its URL and, where the
// censor may poison the resolver's own name, a fixed address to reach it at.
type DoHServer struct {
	URL string
	IP  string // optional: dial this address instead of resolving the URL's host
}

// DefaultDoH are well-known public resolvers, reached by their fixed
// addresses so that a poisoned local DNS cannot hide them.
var DefaultDoH = []DoHServer{
	{URL: "https://cloudflare-dns.com/dns-query", IP: "1.1.1.1"},
	{URL: "https://dns.quad9.net/dns-query", IP: "9.9.9.9"},
	{URL: "https://dns.google/dns-query", IP: "8.8.8.8"},
}

// ParseDoH reads a resolver as typed: a URL, optionally followed by
// "@IP" to give its fixed address (https://dns.example/dns-query@192.0.2.1).
func ParseDoH(s string) (DoHServer, error) {
	s = strings.TrimSpace(s)
	var ip string
	if i := strings.LastIndex(s, "@"); i > strings.Index(s, "://")+2 && !strings.Contains(s[i:], "/") {
		s, ip = s[:i], s[i+1:]
		if _, err := netip.ParseAddr(ip); err != nil {
			return DoHServer{}, fmt.Errorf("%w: address %q is not an IP address", ErrBadDoH, ip)
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return DoHServer{}, fmt.Errorf("%w: %q: give an https:// URL, as https://1.1.1.1/dns-query", ErrBadDoH, s)
	}
	return DoHServer{URL: u.String(), IP: ip}, nil
}

// String is how the resolver is written back.
func (d DoHServer) String() string {
	if d.IP != "" {
		return d.URL + "@" + d.IP
	}
	return d.URL
}

// Config chooses the routes of a Client.
type Config struct {
	Mode    Mode
	Proxies []Proxy
	// DoH lists the resolvers of the doh route; empty means none (no doh
	// route). Use DefaultDoH for the public ones.
	DoH []DoHServer
	// EnvProxies are proxies from ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, and
	// NoProxy the hosts they are not used for (NO_PROXY).
	EnvProxies []Proxy
	NoProxy    string
	// TorAddrs are probed when no proxy is configured, in auto mode; a Tor
	// SOCKS port that answers becomes a socks5 route.
	TorAddrs []string
	// Tor is the SOCKS address of Kabootar's own Tor, once bootstrapped:
	// the route "tor", in auto and strict mode (in strict mode it is one
	// of the proxies: nothing leaves but Tor's own connections). Names
	// are resolved by Tor.
	Tor string
	// Tactics adds the routes split and tlsfrag (direct connections whose
	// TLS hello a server-name filter misses), tried once direct fails.
	Tactics bool
	// ECH adds the route ech (Encrypted Client Hello, with the key a site
	// publishes in its DNS HTTPS record, read over DoH: so only with DoH),
	// tried once direct fails.
	ECH bool
	// Fronts are domain fronts the reader configured, each a route
	// (front:FRONT) for its host, tried once direct fails; not in strict
	// mode.
	Fronts []Front
	// TrustedNets are private ranges whose addresses are real answers for
	// names, not a censor's (a company network, a test lab).
	TrustedNets []netip.Prefix
}

// DefaultTorAddrs are the SOCKS ports of the Tor daemon and Tor Browser.
var DefaultTorAddrs = []string{"127.0.0.1:9050", "127.0.0.1:9150"}

// ProxiesFromEnv reads ALL_PROXY, HTTPS_PROXY and HTTP_PROXY (either case)
// and NO_PROXY. Values that are not usable proxies are returned as errors,
// the others kept.
func ProxiesFromEnv(getenv func(string) string) (proxies []Proxy, noProxy string, errs []error) {
	seen := map[string]bool{}
	for _, k := range []string{"ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"} {
		v := getenv(k)
		if v == "" {
			v = getenv(strings.ToLower(k))
		}
		if v == "" {
			continue
		}
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		p, err := ParseProxy(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			continue
		}
		if !seen[p.Route()] {
			seen[p.Route()] = true
			proxies = append(proxies, p)
		}
	}
	noProxy = getenv("NO_PROXY")
	if noProxy == "" {
		noProxy = getenv("no_proxy")
	}
	return proxies, noProxy, errs
}

// noProxyMatch says whether host is excluded from the environment's
// proxies by a NO_PROXY list: "*", host names (matching subdomains too),
// IP addresses and CIDR ranges.
func noProxyMatch(list, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip, ipErr := netip.ParseAddr(host)
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if e == "*" {
			return true
		}
		if e == winINETBypassLocal {
			if ipErr != nil && !strings.Contains(host, ".") {
				return true
			}
			continue
		}
		if h, _, err := net.SplitHostPort(e); err == nil {
			e = h
		}
		if pfx, err := netip.ParsePrefix(e); err == nil {
			if ipErr == nil && pfx.Contains(ip) {
				return true
			}
			continue
		}
		e = strings.TrimPrefix(e, "*")
		e = strings.TrimPrefix(e, ".")
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}
