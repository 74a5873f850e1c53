package transport

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Plain says what went wrong with an attempt in words for people: "the
// server stopped sending after 60 s", not "context deadline exceeded". The
// attempt's Err keeps the technical detail, for --verbose and bug reports.
func (a Attempt) Plain() string {
	err := a.Err
	if err == nil {
		return ""
	}
	var pl interface{ Plain() string }
	var bp *BlockPageError
	var st *StatusError
	var tl *TooLargeError
	var ce *CheckError
	switch {
	case errors.As(err, &bp):
		return bp.Error()
	case errors.As(err, &st):
		return st.Error()
	case errors.As(err, &tl):
		return tl.Error()
	case errors.As(err, &ce):
		// The caller's check speaks for itself (a feed that is not one).
		if errors.As(ce.Err, &pl) {
			return pl.Plain()
		}
		return ce.Err.Error()
	case errors.Is(err, io.ErrUnexpectedEOF) && a.Verdict != VerdictHTTPTimeout:
		return "the connection closed before the end of the answer"
	}
	secs := func() string { return fmt.Sprintf("%d s", max(1, int(a.Elapsed.Round(time.Second)/time.Second))) }
	switch a.Verdict {
	case VerdictDNSBogon:
		return "the name was answered with a private address, as a censor's DNS answers"
	case VerdictDNSNXDomain:
		return "the name does not exist (or a censor's DNS says so)"
	case VerdictDNSTimeout:
		return "the name could not be looked up in time"
	case VerdictDNSError:
		return "the name could not be looked up"
	case VerdictTCPTimeout:
		return "could not connect: nothing answered within " + secs()
	case VerdictTCPReset:
		return "the connection was cut (reset)"
	case VerdictTCPRefused:
		return "the connection was refused"
	case VerdictTLSReset:
		return "the secure connection was cut during its handshake, as censors do"
	case VerdictTLSTimeout:
		return "the secure connection did not complete within " + secs()
	case VerdictTLSCertInvalid:
		return "the site's certificate is not valid for it: someone may be intercepting the connection"
	case VerdictECHUnavailable:
		return "the site publishes no key for Encrypted Client Hello"
	case VerdictECHInvalid:
		return "the site's published key for Encrypted Client Hello cannot be used"
	case VerdictECHRejected:
		return "the server refused the encrypted hello"
	case VerdictFrontCertInvalid:
		return "the front's certificate is not valid for the front's name: check the front, or someone is intercepting"
	case VerdictHTTPTimeout:
		if a.Timings.FirstByte > 0 {
			return "the server stopped sending after " + secs()
		}
		return "the server did not answer within " + secs()
	case VerdictHTTPRedirectLoop:
		var re *redirectError
		if errors.As(err, &re) {
			return re.Error()
		}
		return "too many redirects"
	case VerdictProxyUnreachable:
		return "the proxy could not be reached"
	case VerdictProxyAuth:
		return "the proxy refused the user name or password"
	case VerdictProxyRefused:
		return "the proxy refused to connect to the site"
	case VerdictURLInvalid:
		return "only http and https addresses can be followed"
	case VerdictNetwork:
		return "the network failed"
	}
	return err.Error()
}
