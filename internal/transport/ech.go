package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// RouteECH is Encrypted Client Hello: the TLS hello the censor reads
// names the provider's public name; the site's name travels encrypted,
// with a key the site publishes in its DNS HTTPS record (read over DoH).
const RouteECH = "ech"

const kindECH = "ech"

// The verdicts of the ech route.
const (
	// VerdictECHUnavailable: the site publishes no ECH key.
	VerdictECHUnavailable Verdict = "ech-unavailable"
	// VerdictECHInvalid: the published key cannot be used.
	VerdictECHInvalid Verdict = "ech-config-invalid"
	// VerdictECHRejected: the server refused the encrypted hello (and
	// offered no key that worked).
	VerdictECHRejected Verdict = "ech-rejected"
)

// maxECHConfigList bounds a published ECH config list: real ones are a
// few hundred bytes.
const maxECHConfigList = 8 << 10

// ECHUnavailableError is a site that publishes no ECH key.
type ECHUnavailableError struct{ Host string }

func (e *ECHUnavailableError) Error() string {
	return fmt.Sprintf("%s publishes no Encrypted Client Hello key in its DNS", e.Host)
}

// ECHConfigError is a published ECH config list that cannot be used.
type ECHConfigError struct {
	Host   string
	Reason string
}

func (e *ECHConfigError) Error() string {
	return fmt.Sprintf("the Encrypted Client Hello key %s publishes cannot be used: %s", e.Host, e.Reason)
}

// echError is a failure of the ech route, and how far it got.
type echError struct {
	err error
	ph  phase
}

func (e *echError) Error() string { return "ech: " + e.err.Error() }
func (e *echError) Unwrap() error { return e.err }

func classifyECH(e *echError) Verdict {
	var un *ECHUnavailableError
	var bad *ECHConfigError
	var rej *tls.ECHRejectionError
	switch {
	case errors.As(e.err, &un):
		return VerdictECHUnavailable
	case errors.As(e.err, &bad):
		return VerdictECHInvalid
	case errors.As(e.err, &rej):
		return VerdictECHRejected
	}
	return classify(e.err, e.ph)
}

// echRecord is what a site's HTTPS record gives the ech route.
type echRecord struct {
	configs    []byte
	publicName string
	hints      []netip.Addr
}

type echEntry struct {
	rec     echRecord
	err     error
	expires time.Time
}

// echRecord looks up host's HTTPS record over DoH, cached for its TTL.
func (r *dohResolver) echRecord(ctx context.Context, host string) (echRecord, error) {
	ctx, cancel := detach(ctx)
	defer cancel()
	r.mu.Lock()
	e, ok := r.ech[host]
	r.mu.Unlock()
	if ok && r.now().Before(e.expires) {
		return e.rec, e.err
	}
	var errs []error
	for _, s := range r.servers {
		m, err := r.exchange(ctx, s, host, dnsmessage.TypeHTTPS)
		var rec echRecord
		ttl := 5 * time.Minute
		switch {
		case isNotFound(err):
			err = &ECHUnavailableError{Host: host}
		case err == nil:
			rec, ttl, err = parseHTTPSAnswer(host, m)
		}
		var un *ECHUnavailableError
		var bad *ECHConfigError
		if err == nil || errors.As(err, &un) || errors.As(err, &bad) {
			r.setECH(host, rec, err, ttl)
			return rec, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.URL, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return echRecord{}, errors.New("no DoH resolver configured")
	}
	return echRecord{}, &net.DNSError{Err: "DoH: " + errors.Join(errs...).Error(), Name: host}
}

func (r *dohResolver) setECH(host string, rec echRecord, err error, ttl time.Duration) {
	ttl = min(max(ttl, 30*time.Second), time.Hour)
	r.mu.Lock()
	r.ech[host] = echEntry{rec: rec, err: err, expires: r.now().Add(ttl)}
	r.mu.Unlock()
}

// parseHTTPSAnswer reads the ECH config list and address hints of the
// first service-mode HTTPS record.
func parseHTTPSAnswer(host string, m *dnsmessage.Message) (echRecord, time.Duration, error) {
	for _, a := range m.Answers {
		h, ok := a.Body.(*dnsmessage.HTTPSResource)
		if !ok || h.Priority == 0 { // alias mode: not followed
			continue
		}
		ttl := time.Duration(a.Header.TTL) * time.Second
		list, has := h.GetParam(dnsmessage.SVCParamECH)
		if !has || len(list) == 0 {
			return echRecord{}, ttl, &ECHUnavailableError{Host: host}
		}
		if len(list) > maxECHConfigList {
			return echRecord{}, ttl, &ECHConfigError{Host: host, Reason: fmt.Sprintf("%d bytes, more than any real one", len(list))}
		}
		name, err := echPublicName(list)
		if err != nil {
			return echRecord{}, ttl, &ECHConfigError{Host: host, Reason: err.Error()}
		}
		rec := echRecord{configs: list, publicName: name}
		for _, p := range []struct {
			key  dnsmessage.SVCParamKey
			size int
		}{{dnsmessage.SVCParamIPv4Hint, 4}, {dnsmessage.SVCParamIPv6Hint, 16}} {
			v, _ := h.GetParam(p.key)
			for i := 0; i+p.size <= len(v) && len(rec.hints) < 16; i += p.size {
				if ip, ok := netip.AddrFromSlice(v[i : i+p.size]); ok {
					rec.hints = append(rec.hints, ip)
				}
			}
		}
		return rec, ttl, nil
	}
	return echRecord{}, 5 * time.Minute, &ECHUnavailableError{Host: host}
}

// echPublicName checks an ECHConfigList and returns the public name of its
// first config of the version Go speaks (RFC 9849's, 0xfe0d).
func echPublicName(list []byte) (string, error) {
	r := reader{b: list}
	all, ok := r.vec(2)
	if !ok || r.off != len(list) {
		return "", errors.New("its length is wrong")
	}
	for all.off < len(all.b) {
		version, ok1 := all.u16()
		body, ok2 := all.vec(2)
		if !ok1 || !ok2 {
			return "", errors.New("a config is cut short")
		}
		if version != 0xfe0d {
			continue
		}
		body.skip(1 + 2) // config id, KEM
		_, okKey := body.vec(2)
		_, okSuites := body.vec(2)
		body.skip(1) // maximum name length
		name, okName := body.vec(1)
		if !okKey || !okSuites || !okName {
			return "", errors.New("a config is cut short")
		}
		n := strings.ToLower(string(name.b[name.off:]))
		if !isHostName(n) {
			return "", fmt.Errorf("its public name %q is not a host name", n)
		}
		return n, nil
	}
	return "", errors.New("it holds no config of the version Kabootar speaks")
}

// echRoute is the ech route: it needs DoH, for the HTTPS record.
func (c *Client) echRoute() *route {
	tr := c.newTransport(func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("ech carries https only")
	})
	tr.DialTLSContext = c.dialECH
	return &route{name: RouteECH, kind: kindECH, client: c.newHTTPClient(tr)}
}

func (c *Client) dialECH(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	rec, err := c.doh.echRecord(ctx, host)
	if err != nil {
		return nil, &echError{err: err, ph: phaseDial}
	}
	tc, err := c.echConnect(ctx, network, host, port, rec, rec.configs)
	var rej *tls.ECHRejectionError
	if errors.As(err, &rej) && len(rej.RetryConfigList) > 0 && len(rej.RetryConfigList) <= maxECHConfigList {
		// The server's keys changed since its record was cached: once,
		// with the keys it offers (checked as a published list is).
		if name, perr := echPublicName(rej.RetryConfigList); perr == nil {
			retry := echRecord{configs: rej.RetryConfigList, publicName: name, hints: rec.hints}
			if tc, err = c.echConnect(ctx, network, host, port, rec, retry.configs); err == nil {
				c.doh.setECH(host, retry, nil, time.Hour)
			}
		}
	}
	return tc, err
}

// echConnect connects to the record's address hints, then to the name's
// addresses, and makes the handshake with configs.
func (c *Client) echConnect(ctx context.Context, network, host, port string, rec echRecord, configs []byte) (net.Conn, error) {
	addrs, _ := checkAnswer(host, rec.hints, c.opts.Config.TrustedNets) // a lying hint to a private address is dropped
	if more, err := c.lookupTactic(ctx, host); err == nil {
		addrs = append(addrs, more...)
	}
	if len(addrs) == 0 {
		return nil, &echError{err: &net.DNSError{Err: "no address in the HTTPS record or the DNS", Name: host, IsNotFound: true}, ph: phaseDial}
	}
	var conn net.Conn
	var errs []error
	seen := map[netip.Addr]bool{}
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		var err error
		if conn, err = c.dial(ctx, network, net.JoinHostPort(a.String(), port)); err == nil {
			break
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if conn == nil {
		return nil, errors.Join(errs...)
	}
	signal(ctx, func(s signals) chan<- struct{} { return s.connected })
	conf := c.tlsClientConfig(host)
	conf.EncryptedClientHelloConfigList = configs
	conf.MinVersion = tls.VersionTLS13 // ECH is TLS 1.3's
	tc, err := c.handshake(ctx, conn, conf)
	if err != nil {
		return nil, &echError{err: err, ph: phaseTLS}
	}
	return tc, nil
}
