package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"syscall"
)

// Verdict classifies a failed attempt, in the words OONI uses where they exist.
type Verdict string

// The verdicts of DESIGN.md.
const (
	VerdictDNSBogon         Verdict = "dns-bogon"
	VerdictDNSNXDomain      Verdict = "dns-nxdomain"
	VerdictDNSTimeout       Verdict = "dns-timeout"
	VerdictDNSError         Verdict = "dns-error"
	VerdictTCPTimeout       Verdict = "tcp-timeout"
	VerdictTCPReset         Verdict = "tcp-reset"
	VerdictTCPRefused       Verdict = "tcp-refused"
	VerdictTLSReset         Verdict = "tls-reset"
	VerdictTLSTimeout       Verdict = "tls-timeout"
	VerdictTLSCertInvalid   Verdict = "tls-cert-invalid"
	VerdictHTTPBlockpage    Verdict = "http-blockpage"
	VerdictHTTPStatus       Verdict = "http-status"
	VerdictHTTPTimeout      Verdict = "http-timeout"
	VerdictHTTPRedirectLoop Verdict = "http-redirect-loop"
	VerdictProxyUnreachable Verdict = "proxy-unreachable"
	VerdictProxyAuth        Verdict = "proxy-auth"
	VerdictBodyInvalid      Verdict = "body-invalid"
	VerdictBodyTooLarge     Verdict = "body-too-large"
	VerdictURLInvalid       Verdict = "url-invalid"
	VerdictProxyRefused     Verdict = "proxy-refused"
	VerdictNetwork          Verdict = "network-error"
)

// phase says how far an attempt got; the same error (a timeout, a reset)
// means different things before and after the TLS handshake.
type phase int

const (
	phaseDial phase = iota
	phaseTLS
	phaseHTTP
)

// classify turns the error of a failed attempt into a verdict, from the
// error chain's types rather than from message strings.
func classify(err error, ph phase) Verdict {
	var ee *echError
	if errors.As(err, &ee) {
		return classifyECH(ee)
	}
	var fe *frontTLSError
	if errors.As(err, &fe) {
		// A front's handshake runs in the dial, out of the trace's sight.
		if v := classify(fe.err, phaseTLS); v != VerdictTLSCertInvalid {
			return v
		}
		return VerdictFrontCertInvalid
	}
	var unreachable *ProxyUnreachableError
	var auth *ProxyAuthError
	var refused *ProxyRefusedError
	var bogon *BogonError
	switch {
	case errors.Is(err, ErrStrictLookup), errors.As(err, &unreachable):
		return VerdictProxyUnreachable
	case errors.As(err, &auth):
		return VerdictProxyAuth
	case errors.As(err, &bogon):
		return VerdictDNSBogon
	case errors.As(err, &refused):
		if errors.Is(err, errRefusedByTarget) {
			return VerdictTCPRefused
		}
		return VerdictProxyRefused
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return VerdictDNSNXDomain
		case dnsErr.IsTimeout:
			return VerdictDNSTimeout
		default:
			return VerdictDNSError
		}
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &invalidErr) {
		return VerdictTLSCertInvalid
	}
	var redirErr *redirectError
	if errors.As(err, &redirErr) {
		return VerdictHTTPRedirectLoop
	}
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		timeout = true
	}
	if timeout {
		switch ph {
		case phaseDial:
			return VerdictTCPTimeout
		case phaseTLS:
			return VerdictTLSTimeout
		default:
			return VerdictHTTPTimeout
		}
	}
	switch {
	case isErrno(err, refusedErrnos()):
		return VerdictTCPRefused
	case isErrno(err, resetErrnos()):
		if ph == phaseTLS {
			return VerdictTLSReset
		}
		return VerdictTCPReset
	}
	return VerdictNetwork
}

// isErrno says whether err is one of the errnos.
func isErrno(err error, errnos []syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Offline says whether v is what a network that carries nothing gives:
// nothing answered at all, as opposed to an answer that was refused,
// forged or blocked.
func (v Verdict) Offline() bool {
	switch v {
	case VerdictDNSTimeout, VerdictDNSError, VerdictTCPTimeout, VerdictProxyUnreachable, VerdictNetwork:
		return true
	}
	return false
}
