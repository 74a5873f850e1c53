package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// BogonError is a DNS answer in a private or reserved range for a public
// name: the mark of a censor's resolver (Iran's answer 10.10.34.34).
type BogonError struct {
	Host  string
	Addrs []netip.Addr
}

func (e *BogonError) Error() string {
	return fmt.Sprintf("the DNS answer for %s is %v, a private address: a censor's answer, not the site's", e.Host, e.Addrs)
}

// bogons are the ranges no public name resolves to.
var bogons = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// isBogon says whether addr cannot be a public name's address, unless the
// user trusts its range.
func isBogon(addr netip.Addr, trusted []netip.Prefix) bool {
	addr = addr.Unmap()
	for _, t := range trusted {
		if t.Contains(addr) {
			return false
		}
	}
	for _, b := range bogons {
		if b.Contains(addr) {
			return true
		}
	}
	return false
}

// isPublicName says whether host is a name the public DNS answers for;
// local names may rightly resolve to private addresses.
func isPublicName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if _, err := netip.ParseAddr(h); err == nil {
		return false
	}
	if !strings.Contains(h, ".") {
		return false
	}
	for _, local := range []string{".localhost", ".local", ".lan", ".internal", ".home.arpa"} {
		if strings.HasSuffix(h, local) {
			return false
		}
	}
	return true
}

// checkAnswer drops bogons from a public name's answer; an answer of
// bogons only is a BogonError.
func checkAnswer(host string, addrs []netip.Addr, trusted []netip.Prefix) ([]netip.Addr, error) {
	if !isPublicName(host) {
		return addrs, nil
	}
	var good, bad []netip.Addr
	for _, a := range addrs {
		if isBogon(a, trusted) {
			bad = append(bad, a)
		} else {
			good = append(good, a)
		}
	}
	if len(good) == 0 && len(bad) > 0 {
		return nil, &BogonError{Host: host, Addrs: bad}
	}
	return good, nil
}

// dohResolver resolves names over DNS-over-HTTPS, caching answers.
type dohResolver struct {
	servers []DoHServer
	client  *http.Client // reaches the resolvers directly, by fixed IP where given
	mu      sync.Mutex
	cache   map[string]dohEntry
	ech     map[string]echEntry
	now     func() time.Time
}

type dohEntry struct {
	addrs   []netip.Addr
	err     error
	expires time.Time
}

// maxDoHAnswer bounds a resolver's answer; DNS messages fit in 64 KB.
const maxDoHAnswer = 64 << 10

func newDoHResolver(servers []DoHServer, tr *http.Transport, timeout time.Duration) *dohResolver {
	return &dohResolver{
		servers: servers,
		client:  &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		cache:   map[string]dohEntry{},
		ech:     map[string]echEntry{},
		now:     time.Now,
	}
}

// lookup returns host's addresses from the first resolver that answers.
func (r *dohResolver) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	// The resolver's own HTTPS exchange is not the attempt's: it must not
	// reach the attempt's trace (which would take the resolver's answer for
	// the site's) or its signals. Keep the cancellation and deadline only.
	ctx, cancel := detach(ctx)
	defer cancel()
	r.mu.Lock()
	e, ok := r.cache[host]
	r.mu.Unlock()
	if ok && r.now().Before(e.expires) {
		return e.addrs, e.err
	}
	var errs []error
	for _, s := range r.servers {
		addrs, ttl, err := r.query(ctx, s, host)
		if err == nil || isNotFound(err) {
			ttl = min(max(ttl, 30*time.Second), 5*time.Minute)
			r.mu.Lock()
			r.cache[host] = dohEntry{addrs: addrs, err: err, expires: r.now().Add(ttl)}
			r.mu.Unlock()
			return addrs, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.URL, err))
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, errors.New("no DoH resolver configured")
	}
	return nil, &net.DNSError{Err: "DoH: " + errors.Join(errs...).Error(), Name: host, IsTimeout: errors.Is(errors.Join(errs...), context.DeadlineExceeded)}
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// query asks one resolver for A and AAAA records, together.
func (r *dohResolver) query(ctx context.Context, s DoHServer, host string) ([]netip.Addr, time.Duration, error) {
	type result struct {
		addrs []netip.Addr
		ttl   time.Duration
		err   error
	}
	ch := make(chan result, 2)
	for _, t := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
		go func() {
			a, ttl, err := r.ask(ctx, s, host, t)
			ch <- result{a, ttl, err}
		}()
	}
	var addrs []netip.Addr
	ttl := 5 * time.Minute
	var errs []error
	notFound := 0
	for range 2 {
		res := <-ch
		switch {
		case res.err == nil:
			addrs = append(addrs, res.addrs...)
			ttl = min(ttl, res.ttl)
		case isNotFound(res.err):
			notFound++
		default:
			errs = append(errs, res.err)
		}
	}
	if len(addrs) > 0 {
		return addrs, ttl, nil
	}
	if notFound == 2 {
		return nil, 0, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if len(errs) > 0 {
		return nil, 0, errors.Join(errs...)
	}
	return nil, 0, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
}

func (r *dohResolver) ask(ctx context.Context, s DoHServer, host string, t dnsmessage.Type) ([]netip.Addr, time.Duration, error) {
	m, err := r.exchange(ctx, s, host, t)
	if err != nil {
		return nil, 0, err
	}
	var addrs []netip.Addr
	ttl := 5 * time.Minute
	for _, a := range m.Answers {
		switch b := a.Body.(type) {
		case *dnsmessage.AResource:
			addrs = append(addrs, netip.AddrFrom4(b.A))
		case *dnsmessage.AAAAResource:
			addrs = append(addrs, netip.AddrFrom16(b.AAAA))
		default:
			continue
		}
		ttl = min(ttl, time.Duration(a.Header.TTL)*time.Second)
	}
	if len(addrs) == 0 {
		return nil, 0, &net.DNSError{Err: "no " + t.String() + " records", Name: host, IsNotFound: true}
	}
	return addrs, ttl, nil
}

// exchange asks one resolver one question; an answer that is not a
// success is an error (NXDOMAIN a not-found one).
func (r *dohResolver) exchange(ctx context.Context, s DoHServer, host string, t dnsmessage.Type) (*dnsmessage.Message, error) {
	name, err := dnsmessage.NewName(strings.TrimSuffix(host, ".") + ".")
	if err != nil {
		return nil, &net.DNSError{Err: "invalid name", Name: host, IsNotFound: true}
	}
	q := dnsmessage.Message{
		// RFC 8484 asks for ID 0, for caching.
		Header:    dnsmessage.Header{RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: name, Type: t, Class: dnsmessage.ClassINET}},
	}
	packed, err := q.Pack()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(packed))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/dns-message")
	req.Header.Set("Accept", "application/dns-message")
	if s.IP != "" {
		req = req.WithContext(withFixedAddr(req.Context(), s.IP))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{Code: resp.StatusCode, Status: resp.Status}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDoHAnswer))
	if err != nil {
		return nil, err
	}
	var m dnsmessage.Message
	if err := m.Unpack(body); err != nil {
		return nil, fmt.Errorf("the resolver's answer is not a DNS message: %w", err)
	}
	switch m.Header.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	default:
		return nil, &net.DNSError{Err: "resolver answered " + m.Header.RCode.String(), Name: host}
	}
	return &m, nil
}

type fixedAddrKey struct{}

// withFixedAddr makes the DoH transport's dialer connect to ip, whatever
// the URL's host: the resolver's own name may be what the censor poisons.
func withFixedAddr(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, fixedAddrKey{}, ip)
}

func fixedAddr(ctx context.Context) (string, bool) {
	ip, ok := ctx.Value(fixedAddrKey{}).(string)
	return ip, ok
}

// detach returns a context with ctx's deadline and cancellation but none of
// its values.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	d, cancel := context.WithCancel(context.Background())
	if dl, ok := ctx.Deadline(); ok {
		var c2 context.CancelFunc
		d, c2 = context.WithDeadline(d, dl)
		prev := cancel
		cancel = func() { c2(); prev() }
	}
	stop := context.AfterFunc(ctx, cancel)
	return d, func() { stop(); cancel() }
}
