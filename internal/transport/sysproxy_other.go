//go:build !windows

package transport

// CurrentSystemProxy is none outside Windows: there the environment's
// proxies (ALL_PROXY, HTTPS_PROXY…) are the system's.
func CurrentSystemProxy() (SystemProxy, []error) { return SystemProxy{}, nil }
