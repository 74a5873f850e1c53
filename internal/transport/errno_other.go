//go:build !windows

package transport

import "syscall"

// refusedErrnos are a refused connection's (see errno_windows.go).
func refusedErrnos() []syscall.Errno { return []syscall.Errno{syscall.ECONNREFUSED} }

// resetErrnos are a cut connection's.
func resetErrnos() []syscall.Errno { return []syscall.Errno{syscall.ECONNRESET, syscall.EPIPE} }
