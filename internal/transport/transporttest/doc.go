// Package transporttest holds the test doubles of the network that the
// transport tests, the censorship lab, the misbehaving-server test and the
// benchmark share: a DNS-over-HTTPS resolver, a SOCKS5 server, an HTTP
// CONNECT proxy, and servers built to misbehave. Like net/http/httptest, it
// is for tests and tools only; everything listens on loopback (or on the
// address the caller gives, inside its own network namespace).
package transporttest
