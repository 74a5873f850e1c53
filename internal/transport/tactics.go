package transport

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"

	sdk "github.com/Jigsaw-Code/outline-sdk/transport"
	"github.com/Jigsaw-Code/outline-sdk/transport/split"
	"github.com/Jigsaw-Code/outline-sdk/transport/tlsfrag"
)

// The tactics: direct connections shaped so that a censor that reads the
// TLS server name (SNI) misses it. No third party is involved, so they
// count as direct in --mode direct; strict mode never uses them.
const (
	// RouteSplit sends the ClientHello in two TCP segments, cut inside the
	// server name: a filter that matches packet by packet misses it.
	RouteSplit = "split"
	// RouteTLSFrag cuts the ClientHello into two TLS records inside the
	// server name: a filter that reassembles TCP but reads only the first
	// record misses it.
	RouteTLSFrag = "tlsfrag"
)

const kindTactic = "tactic"

// isTactic says whether a route's name is one of Kabootar's tactics:
// split, tlsfrag, ech or a front.
func isTactic(name string) bool {
	return name == RouteSplit || name == RouteTLSFrag || name == RouteECH || strings.HasPrefix(name, RoutePrefixFront)
}

// tacticVerdicts are the failures of a plain direct attempt that a tactic
// may beat: a connection that was made, then cut or stalled at the TLS
// handshake (the censor read the name).
func tacticVerdict(v Verdict) bool {
	switch v {
	case VerdictTLSReset, VerdictTLSTimeout, VerdictTCPReset, VerdictHTTPBlockpage:
		return true
	}
	return false
}

// tacticRoutes are the tactic routes, dialing like direct (the system's
// resolver, DoH when its answer is forged or missing).
func (c *Client) tacticRoutes() []*route {
	base := c.dialResolved(c.lookupTactic)
	dialer := sdk.FuncStreamDialer(func(ctx context.Context, addr string) (sdk.StreamConn, error) {
		conn, err := base(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if sc, ok := conn.(sdk.StreamConn); ok {
			return sc, nil
		}
		return halfCloser{conn}, nil
	})
	frag, _ := tlsfrag.NewStreamDialerFunc(dialer, fragInName) // errs only on nil arguments
	asDial := func(d sdk.StreamDialer) dialFunc {
		return func(ctx context.Context, _, addr string) (net.Conn, error) { return d.DialStream(ctx, addr) }
	}
	splitDial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		conn, err := dialer.DialStream(ctx, addr)
		if err != nil {
			return nil, err
		}
		return &splitConn{StreamConn: conn}, nil
	}
	return []*route{
		{name: RouteSplit, kind: kindTactic, client: c.newHTTPClient(c.newTransport(splitDial))},
		{name: RouteTLSFrag, kind: kindTactic, client: c.newHTTPClient(c.newTransport(asDial(frag)))},
	}
}

// lookupTactic resolves as direct does and, when that answer is missing
// or forged and DoH is configured, over DoH: a site whose name is both
// poisoned and filtered needs both.
func (c *Client) lookupTactic(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := c.lookupChecked(ctx, host)
	if err != nil && c.doh != nil && isPublicName(host) {
		if addrs, derr := c.lookupDoH(ctx, host); derr == nil {
			return addrs, nil
		}
	}
	return addrs, err
}

// halfCloser makes a net.Conn that cannot half-close (a test's pipe) a
// StreamConn.
type halfCloser struct{ net.Conn }

func (h halfCloser) CloseRead() error  { return errors.ErrUnsupported }
func (h halfCloser) CloseWrite() error { return errors.ErrUnsupported }

// splitConn writes its first write (the ClientHello) in two segments, cut
// in the middle of the server name. Go's TCP connections have Nagle off,
// so two writes are two segments.
type splitConn struct {
	sdk.StreamConn
	once sync.Once
}

func (s *splitConn) Write(p []byte) (int, error) {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.StreamConn.Write(p)
	}
	at := 1 // no name found: cut after the first byte, as many DPIs still miss that
	if start, end, ok := helloServerName(p); ok {
		at = (start + end) / 2
	}
	return split.NewWriter(s.StreamConn, split.NewFixedSplitIterator(int64(at))).Write(p)
}

// fragInName cuts the first handshake record in the middle of the server
// name (record excludes the 5-byte record header).
func fragInName(record []byte) int {
	if start, end, ok := handshakeServerName(record); ok {
		return (start + end) / 2
	}
	return 1
}

// helloServerName finds the server name in a TLS record holding a
// ClientHello: the offsets of its first and past-last byte.
func helloServerName(rec []byte) (start, end int, ok bool) {
	if len(rec) < 5 || rec[0] != 22 { // handshake
		return 0, 0, false
	}
	start, end, ok = handshakeServerName(rec[5:])
	return start + 5, end + 5, ok
}

// handshakeServerName finds the server name in a ClientHello handshake
// message (possibly cut short); offsets are into msg.
func handshakeServerName(msg []byte) (start, end int, ok bool) {
	r := reader{b: msg}
	if t, _ := r.u8(); t != 1 { // client_hello
		return 0, 0, false
	}
	r.skip(3 + 2 + 32) // length, version, random
	r.vec(1)           // session id
	r.vec(2)           // cipher suites
	r.vec(1)           // compression methods
	// The extensions run to the end; a hello cut short (a record
	// fragment) may still hold the name, so their length is not trusted.
	r.skip(2)
	exts := r
	for exts.off+4 <= len(exts.b) {
		typ, _ := exts.u16()
		n, _ := exts.u16()
		if typ != 0 { // server_name
			exts.skip(int(n))
			continue
		}
		exts.skip(2 + 1) // list length, name type
		l, okL := exts.u16()
		if !okL || exts.off+int(l) > len(exts.b) || l == 0 {
			return 0, 0, false
		}
		return exts.off, exts.off + int(l), true
	}
	return 0, 0, false
}

// reader reads a TLS message without ever reading past its end; offsets
// stay absolute in the original slice.
type reader struct {
	b   []byte
	off int
}

func (r *reader) u8() (int, bool) {
	if r.off+1 > len(r.b) {
		r.off = len(r.b)
		return 0, false
	}
	r.off++
	return int(r.b[r.off-1]), true
}

func (r *reader) u16() (int, bool) {
	if r.off+2 > len(r.b) {
		r.off = len(r.b)
		return 0, false
	}
	r.off += 2
	return int(r.b[r.off-2])<<8 | int(r.b[r.off-1]), true
}

func (r *reader) skip(n int) { r.off = min(r.off+n, len(r.b)) }

// vec reads a vector with a length prefix of size bytes; its reader keeps
// the original slice's offsets.
func (r *reader) vec(size int) (reader, bool) {
	var n int
	for range size {
		v, ok := r.u8()
		if !ok {
			return reader{}, false
		}
		n = n<<8 | v
	}
	if r.off+n > len(r.b) {
		r.off = len(r.b)
		return reader{}, false
	}
	v := reader{b: r.b[:r.off+n], off: r.off}
	r.off += n
	return v, true
}
