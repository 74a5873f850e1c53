package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kabootar/kabootar/internal/transport"
)

// feedTypes are the link types of feeds a page may announce.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
	"application/rdf+xml":   true,
	"text/xml":              true,
	"application/xml":       true,
}

// Discover returns the feeds a web page announces with
// <link rel="alternate" type="application/rss+xml" href="…">, resolved
// against pageURL, in the page's order.
func Discover(body []byte, pageURL string) []string {
	base, _ := url.Parse(pageURL)
	z := html.NewTokenizer(bytes.NewReader(body))
	var out []string
	seen := map[string]bool{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.DataAtom == atom.Body {
				return out // feeds are announced in the head
			}
			if tok.DataAtom != atom.Link {
				continue
			}
			var rel, typ, href string
			for _, a := range tok.Attr {
				switch a.Key {
				case "rel":
					rel = strings.ToLower(a.Val)
				case "type":
					typ = strings.ToLower(strings.TrimSpace(a.Val))
				case "href":
					href = strings.TrimSpace(a.Val)
				}
			}
			if !hasWord(rel, "alternate") || !feedTypes[typ] || href == "" {
				continue
			}
			u := resolve(base, href)
			if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") {
				continue
			}
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

// Found is a feed found for what a person typed.
type Found struct {
	URL     string
	Title   string
	SiteURL string
	// Unreachable is set when the address could not be fetched now; the
	// source can still be followed as typed, and tried on each refresh.
	Unreachable error
}

// ErrBadAddress is something typed that cannot be a web address.
var ErrBadAddress = errors.New("not a web address")

// NormalizeURL turns what a person typed ("example.com/feed",
// "https://example.com") into an absolute http(s) URL.
func NormalizeURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("%w: nothing given", ErrBadAddress)
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse's own words ("invalid port \":alert(1)\" after host")
		// say nothing to a person.
		return "", fmt.Errorf("%w: %q is not a web address: only http and https addresses can be followed", ErrBadAddress, s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: %q: only http and https addresses can be followed", ErrBadAddress, s)
	}
	host := u.Hostname()
	if host == "" || strings.ContainsAny(host, " _") || (!strings.Contains(host, ".") && host != "localhost" && !strings.Contains(host, ":")) {
		return "", fmt.Errorf("%w: %q: the host name %q looks mistyped", ErrBadAddress, s, host)
	}
	u.Fragment = ""
	return u.String(), nil
}

// Find fetches what a person typed and returns the feed it is or announces.
// A page that is reachable but neither a feed nor announces one is an
// error; an address that cannot be reached now is returned as typed, with
// Unreachable set, since a censor may be what stands in the way.
func (p *Parser) Find(ctx context.Context, f Fetcher, input string) (Found, error) {
	u, err := NormalizeURL(input)
	if err != nil {
		return Found{}, err
	}
	resp, err := f.Fetch(ctx, &transport.Request{URL: u, Accept: acceptFeeds + ", text/html;q=0.5"})
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) {
			switch te.Verdict() {
			case transport.VerdictHTTPStatus, transport.VerdictBodyTooLarge, transport.VerdictURLInvalid,
				transport.VerdictHTTPRedirectLoop:
				return Found{}, err
			}
			return Found{URL: u, Unreachable: err}, nil
		}
		return Found{}, err
	}
	if feed, err := p.Parse(resp.Body, resp.FinalURL); err == nil {
		return Found{URL: u, Title: feed.Title, SiteURL: feed.SiteURL}, nil
	} else if !looksLikeHTML(resp.Body) {
		return Found{}, fmt.Errorf("%s: %w", u, err)
	}
	cands := Discover(resp.Body, resp.FinalURL)
	if len(cands) == 0 {
		return Found{}, fmt.Errorf("%s is a web page that announces no feed; give the feed's own address: %w", u, ErrNotFeed)
	}
	var errs []error
	for _, c := range cands {
		resp, err := f.Fetch(ctx, &transport.Request{URL: c, Accept: acceptFeeds, Check: func(r *transport.Response) error {
			feed, err := p.Parse(r.Body, r.FinalURL)
			r.Parsed = feed
			return err
		}})
		if err == nil {
			feed := resp.Parsed.(*Feed)
			return Found{URL: c, Title: feed.Title, SiteURL: feed.SiteURL}, nil
		}
		errs = append(errs, err)
	}
	return Found{}, fmt.Errorf("%s announces feeds, but none could be read: %w", u, errors.Join(errs...))
}

const acceptFeeds = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
