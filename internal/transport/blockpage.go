package transport

import (
	"bytes"
	"net"
	"net/url"
	"strings"
)

// blockSignature is one known sign of a censor's block page.
type blockSignature struct {
	name  string
	match func(body []byte) bool
}

// blockSignatures is the one table of block-page signatures. Iran's filter
// answers with a page that frames http://10.10.34.34 (or .35, .36) and, in
// some versions, carries the title MNN3-1(1); redirects go to peyvandha.ir.
var blockSignatures = []blockSignature{
	{"iframe to 10.10.34.x", func(b []byte) bool {
		return bytes.Contains(b, []byte("10.10.34.3")) && bytes.Contains(bytes.ToLower(b), []byte("<iframe"))
	}},
	{"title MNN3-1(1)", func(b []byte) bool { return bytes.Contains(b, []byte("MNN3-1(1)")) }},
	{"peyvandha.ir", func(b []byte) bool { return bytes.Contains(b, []byte("peyvandha.ir")) }},
}

// blockHosts are hosts that only a censor redirects to.
var blockHosts = []string{"peyvandha.ir", "www.peyvandha.ir"}

// blockPageHead is how much of an answer is looked at for a block page.
const blockPageHead = 4096

// blockPageIn says whether body looks like a known block page. Only the head
// of the body is looked at: block pages are small, and a long article that
// merely mentions the filter must not be taken for one.
func blockPageIn(body []byte) (string, bool) {
	if len(body) > blockPageHead {
		body = body[:blockPageHead]
	}
	for _, s := range blockSignatures {
		if s.match(body) {
			return s.name, true
		}
	}
	return "", false
}

// isBlockRedirect says whether a redirect target is a known block page: a
// known block host, or an address in the filter's 10.10.34.0/24.
func isBlockRedirect(u *url.URL) bool {
	h := strings.ToLower(u.Hostname())
	for _, b := range blockHosts {
		if h == b {
			return true
		}
	}
	if ip := net.ParseIP(h); ip != nil {
		_, filter, _ := net.ParseCIDR("10.10.34.0/24")
		return filter.Contains(ip)
	}
	return false
}
