package transporttest

import "net"

// ServeTCP listens on addr ("127.0.0.1:0": any free loopback port) and
// runs handle for each connection, in a goroutine of its own, until the
// listener is closed.
func ServeTCP(addr string, handle func(net.Conn)) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return ln, nil
}
