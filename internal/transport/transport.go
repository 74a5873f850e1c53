// Package transport fetches one URL for the rest of Kabootar. Every byte that
// Kabootar reads from the network goes through Client.Fetch, so that routes,
// racing, verdicts and strict proxy mode can live here and nowhere else.
//
// A request is tried on every route the configuration allows (direct, DoH,
// SOCKS5 and HTTP proxies, a local Tor, the environment's proxies) and on
// each of its alternative URLs (mirrors); the attempts start staggered and
// race, the first valid answer wins, and each failed attempt gets a
// verdict. Route memory puts last time's winner first. In strict mode
// (ModeProxy) nothing but the configured proxies is ever contacted.
package transport

import (
	"net/http"
	"time"
)

// Route names, as they appear in refresh reports and route memory.
const (
	RouteDirect = "direct"
	// RouteTor is Kabootar's own Tor (Config.Tor).
	RouteTor = "tor"
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
	// (verdict body-invalid) and others are tried. Racing attempts may call
	// it at once, each with its own Response; it may keep what it parsed in
	// Response.Parsed.
	Check func(*Response) error
	// Route, when it names an active route, is tried first and alone, with
	// none of the race's stagger and timers: the route that brought the
	// page an image belongs to most likely brings the image. Only if it
	// fails does the request race as usual.
	Route string
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
	// Attempts lists every attempt made for this request that finished,
	// failed ones included, in the order they finished; those cancelled
	// because another won are not listed.
	Attempts []Attempt
	// Parsed is what the request's Check kept of the body, if anything.
	Parsed any
}

// Attempt is one try of one URL on one route.
type Attempt struct {
	Route   string
	URL     string
	Verdict Verdict // empty when the attempt succeeded
	Err     error
	Elapsed time.Duration
	Timings Timings
}
