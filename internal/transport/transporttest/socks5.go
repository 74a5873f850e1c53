package transporttest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// SOCKS5 is a small SOCKS5 server (RFC 1928; RFC 1929 when User is set):
// CONNECT to a name or an IPv4 address. Remap, when set, turns the target
// asked for (host:port) into the one dialled: names resolved from the
// server's own table, or a blocked address reached another way.
type SOCKS5 struct {
	User, Pass string
	Remap      func(target string) string

	ln      net.Listener
	mu      sync.Mutex
	targets []string
}

// Start listens on addr ("127.0.0.1:0" for any free loopback port) and
// serves until Close.
func (s *SOCKS5) Start(addr string) error {
	ln, err := ServeTCP(addr, s.serve)
	s.ln = ln
	return err
}

// Close stops listening.
func (s *SOCKS5) Close() error { return s.ln.Close() }

// Addr is where it listens.
func (s *SOCKS5) Addr() string { return s.ln.Addr().String() }

// URL is its proxy address, with the user and password when set.
func (s *SOCKS5) URL() string {
	if s.User != "" {
		return "socks5://" + s.User + ":" + s.Pass + "@" + s.Addr()
	}
	return "socks5://" + s.Addr()
}

// Targets are the host:port asked for so far, in order (before Remap).
func (s *SOCKS5) Targets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...)
}

func (s *SOCKS5) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second)) // the handshake's
	r := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(r, methods); err != nil {
		return
	}
	want := byte(0)
	if s.User != "" {
		want = 2
	}
	if !containsByte(methods, want) {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 && !s.auth(r, c) {
		return
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
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0}) // address type not supported
		return
	}
	pb := make([]byte, 2)
	if _, err := io.ReadFull(r, pb); err != nil {
		return
	}
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(pb))))
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.mu.Unlock()
	if s.Remap != nil {
		target = s.Remap(target)
	}
	up, err := net.DialTimeout("tcp", target, 2*time.Second)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	c.SetDeadline(time.Time{})
	go io.Copy(up, r)
	io.Copy(c, up)
}

// auth reads RFC 1929's user and password and answers them.
func (s *SOCKS5) auth(r *bufio.Reader, c net.Conn) bool {
	v := make([]byte, 2)
	if _, err := io.ReadFull(r, v); err != nil {
		return false
	}
	u := make([]byte, v[1])
	io.ReadFull(r, u)
	pl := make([]byte, 1)
	io.ReadFull(r, pl)
	p := make([]byte, pl[0])
	io.ReadFull(r, p)
	if string(u) != s.User || string(p) != s.Pass {
		c.Write([]byte{1, 1})
		return false
	}
	c.Write([]byte{1, 0})
	return true
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// RemapNames is a Remap that resolves the names in names (name -> IP)
// itself and leaves the rest.
func RemapNames(names map[string]string) func(string) string {
	return func(target string) string {
		host, port, err := net.SplitHostPort(target)
		if err != nil {
			return target
		}
		if ip, ok := names[host]; ok {
			return net.JoinHostPort(ip, port)
		}
		return target
	}
}
