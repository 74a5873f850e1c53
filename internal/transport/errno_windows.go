package transport

import "syscall"

// Windows's sockets give their own numbers (WSAECONNREFUSED…), which
// syscall's ECONNREFUSED does not match: without them a censor's reset
// would read as a network failure, and a refusal as the network being
// down.

// refusedErrnos are a refused connection's: WSAECONNREFUSED, and Go's
// own ECONNREFUSED (which Go code may give).
func refusedErrnos() []syscall.Errno { return []syscall.Errno{10061, syscall.ECONNREFUSED} }

// resetErrnos are a cut connection's: WSAECONNRESET, WSAECONNABORTED,
// ERROR_BROKEN_PIPE, and Go's own ECONNRESET and EPIPE.
func resetErrnos() []syscall.Errno {
	return []syscall.Errno{syscall.WSAECONNRESET, syscall.WSAECONNABORTED, 109, syscall.ECONNRESET, syscall.EPIPE}
}
