// Package transport fetches one URL for the rest of Kabootar. Every byte that
// Kabootar reads from the network goes through Client.Fetch, so that routes,
// racing, verdicts and strict proxy mode can live here and nowhere else.
//
// This first cut has one route, direct. A Request already carries its
// alternative URLs (mirrors), its conditional headers and a validity check,
// and a Response says which route and URL served it, so that later routes
// (DoH, SOCKS5, HTTP proxy) slot in behind Fetch without changing callers.
package transport

import (
	"net/http"
	"time"
)

// Route names, as they appear in refresh reports and route memory.
const (
	RouteDirect = "direct"
)

// Request is one thing to fetch: a URL and, optionally, other URLs that serve
// the same content (mirrors).
type Request struct {
	URL          string
	Alternatives []string
	// ETag and LastModified make the request conditional; a 304 answer is
	// a valid answer and comes back with NotModified set.
	ETag         string
	LastModified string
	// Accept is sent as the Accept header when not empty.
	Accept string
	// MaxBytes caps the body; zero means the client's default.
	MaxBytes int64
	// Check, when set, is asked whether a 2xx body is what the caller asked
	// for (a feed must parse). A failed check makes the attempt invalid
	// (verdict body-invalid) and the next URL is tried.
	Check func(*Response) error
}

// Response is a valid answer to a Request.
type Response struct {
	// Route and URL say what served the answer: URL is the one of the
	// request's URLs that worked, FinalURL where redirects ended.
	Route    string
	URL      string
	FinalURL string

	Status       int
	Header       http.Header
	Body         []byte
	NotModified  bool
	ETag         string
	LastModified string
	Elapsed      time.Duration
	// Attempts lists every attempt made for this request, failed ones
	// included, in the order they finished.
	Attempts []Attempt
}

// Attempt is one try of one URL on one route.
type Attempt struct {
	Route   string
	URL     string
	Verdict Verdict // empty when the attempt succeeded
	Err     error
	Elapsed time.Duration
}
