package lab

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// The lab's deep packet inspection: a user-space program in the censor
// that the client's connections to port 443 are redirected to (nft
// "redirect", so the kernel reassembles the TCP stream as a DPI does).
// It reads the first TLS record and resets the flow when it names a
// blocked host; otherwise it connects to where the client was going and
// passes the bytes both ways. The strict one also refuses (drops, as a
// filter that sees no whole ClientHello in the first record does) a
// flow whose first record does not hold the whole ClientHello.
const (
	dpiPort       = "8443"
	dpiStrictPort = "8444"
)

// dpiBlocked are the names the DPI resets.
var dpiBlocked = [][]byte{[]byte(newsHost), []byte(mirrorHost)}

func serveDPI(port string, strict bool) {
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatal(err)
			}
			go inspect(c.(*net.TCPConn), strict)
		}
	}()
}

func inspect(c *net.TCPConn, strict bool) {
	defer c.Close()
	dst, err := originalDst(c)
	if err != nil {
		log.Print(err)
		return
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	head := make([]byte, 5)
	if _, err := io.ReadFull(c, head); err != nil {
		return
	}
	n := int(head[3])<<8 | int(head[4])
	rec := make([]byte, n)
	if _, err := io.ReadFull(c, rec); err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	if head[0] == 22 && strict && (len(rec) < 4 || 4+(int(rec[1])<<16|int(rec[2])<<8|int(rec[3])) > len(rec)) {
		// Not the whole ClientHello in the first record: dropped, so the
		// client waits out its handshake timeout.
		io.Copy(io.Discard, io.LimitReader(c, 1<<20))
		return
	}
	for _, name := range dpiBlocked {
		if head[0] == 22 && bytes.Contains(rec, name) {
			c.SetLinger(0) // the close sends a reset
			return
		}
	}
	up, err := net.DialTimeout("tcp", dst.String(), 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	up.Write(head)
	up.Write(rec)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// originalDst is where a redirected connection was going (the kernel's
// SO_ORIGINAL_DST).
func originalDst(c *net.TCPConn) (netip.AddrPort, error) {
	const soOriginalDst = 80
	raw, err := c.SyscallConn()
	if err != nil {
		return netip.AddrPort{}, err
	}
	var mreq *syscall.IPv6Mreq
	var serr error
	if err := raw.Control(func(fd uintptr) {
		mreq, serr = syscall.GetsockoptIPv6Mreq(int(fd), syscall.IPPROTO_IP, soOriginalDst)
	}); err != nil {
		return netip.AddrPort{}, err
	}
	if serr != nil {
		return netip.AddrPort{}, serr
	}
	b := mreq.Multiaddr // a sockaddr_in: family, port, address
	port := uint16(b[2])<<8 | uint16(b[3])
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}), port), nil
}
