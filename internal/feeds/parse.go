// Package feeds turns sources into articles: RSS, Atom and JSON feeds parsed
// with gofeed, sanitised and normalised; discovery of a page's feed; OPML;
// and the refresher that keeps every source up to date through transport.
package feeds

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"

	"github.com/kabootar/kabootar/internal/cache"
)

// ErrNotFeed is a body that is not a feed Kabootar can read.
var ErrNotFeed = errors.New("not a feed")

// NotFeedError says why a body is not a feed.
type NotFeedError struct {
	Reason string
	Err    error
}

func (e *NotFeedError) Error() string {
	if e.Err != nil {
		return "not a feed: " + e.Reason + ": " + e.Err.Error()
	}
	return "not a feed: " + e.Reason
}

// Plain is the reason alone, without the parser's own words.
func (e *NotFeedError) Plain() string { return "not a feed: " + e.Reason }

func (e *NotFeedError) Is(target error) bool { return target == ErrNotFeed }
func (e *NotFeedError) Unwrap() error        { return e.Err }

// Feed is a parsed feed.
type Feed struct {
	Title    string
	SiteURL  string
	Articles []cache.Article
}

// Parser parses and normalises feeds. It is safe for concurrent use.
type Parser struct {
	policy *bluemonday.Policy
	// Now is the clock for undated and future-dated items; nil is time.Now.
	Now func() time.Time
}

// NewParser returns a Parser.
func NewParser() *Parser { return &Parser{policy: newPolicy()} }

func (p *Parser) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// futureSlack is how far ahead of our clock a date may be before it is taken
// for a wrong clock or time zone on the server and set to now.
const futureSlack = time.Hour

// Parse reads body, fetched from feedURL, as RSS, Atom or JSON Feed.
func (p *Parser) Parse(body []byte, feedURL string) (*Feed, error) {
	return p.ParseHTTP(body, feedURL, "")
}

// ParseHTTP is Parse for an answer whose Content-Type header is known: a
// charset it names is used when the document declares none (old Persian
// sites serve windows-1256 that way).
func (p *Parser) ParseHTTP(body []byte, feedURL, contentType string) (*Feed, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &NotFeedError{Reason: "the answer is empty"}
	}
	body = fromHTTPCharset(body, contentType)
	body = repairUTF8(body)
	if first := bytes.TrimLeft(body[:min(len(body), 64)], " \t\r\n\ufeff"); len(first) > 0 {
		check := checkDepth
		if first[0] == '{' {
			check = checkJSONDepth
		}
		if err := check(body, MaxDepth); err != nil {
			return nil, err
		}
	}
	gp := gofeed.NewParser()
	// Kabootar finds an item's images itself; gofeed's scan of every
	// item's HTML for the first image would cost a tenth of the parse.
	gp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	gf, err := gp.Parse(bytes.NewReader(body))
	if err != nil {
		switch {
		case errors.Is(err, gofeed.ErrFeedTypeNotDetected) && looksLikeHTML(body):
			return nil, &NotFeedError{Reason: "the address gives a web page, not a feed"}
		case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
			return nil, &NotFeedError{Reason: "the answer is neither RSS, Atom nor JSON Feed"}
		default:
			return nil, &NotFeedError{Reason: "the feed is broken or cut short", Err: err}
		}
	}
	base, _ := url.Parse(feedURL)
	site := ""
	if gf.Link != "" && base != nil {
		if l, err := base.Parse(strings.TrimSpace(gf.Link)); err == nil {
			site = cache.WebURL(l.String())
		}
	}
	f := &Feed{Title: plainText(gf.Title), SiteURL: site}
	now := p.now()
	f.Articles = make([]cache.Article, 0, len(gf.Items))
	for _, it := range gf.Items {
		if it == nil {
			continue
		}
		f.Articles = append(f.Articles, p.article(it, gf, base, now))
	}
	return f, nil
}

func (p *Parser) article(it *gofeed.Item, gf *gofeed.Feed, base *url.URL, now time.Time) cache.Article {
	a := cache.Article{GUID: strings.TrimSpace(it.GUID)}
	link := strings.TrimSpace(it.Link)
	if link == "" && len(it.Links) > 0 {
		link = strings.TrimSpace(it.Links[0])
	}
	if link != "" {
		// Only a web address is an article's link, and only a web address
		// is the base that relative references in its content resolve
		// against (a javascript: base would turn them all into scripts).
		a.URL = cache.WebURL(resolve(base, link))
		if u, err := url.Parse(a.URL); err == nil && a.URL != "" {
			base = u
		}
	}
	content := it.Content
	if strings.TrimSpace(content) == "" {
		content = it.Description
	}
	w := walkHTML(p.policy.Sanitize(content), base)
	a.HTML, a.Text, a.HasImages, a.Images = w.html, w.text, w.hasImage, w.images
	a.Title = plainText(it.Title)
	if a.Title == "" {
		a.Title = firstWords(a.Text, 80)
	}
	a.Author = authorOf(it, gf)
	a.Published = dateOf(it.PublishedParsed, it.UpdatedParsed, now)
	a.Updated = dateOf(it.UpdatedParsed, nil, now)
	a.Dir = direction(a.Title, a.Text)
	// Here, in the parsing goroutines, rather than on the single writer.
	a.PrepareSearch()
	return a
}

// dateOf is the first date given, in UTC; a date in the future is taken
// for a server's wrong clock and becomes now. No date stays zero: the cache
// then uses the time the article was first seen.
func dateOf(d, fallback *time.Time, now time.Time) time.Time {
	if d == nil || d.IsZero() {
		d = fallback
	}
	if d == nil || d.IsZero() {
		return time.Time{}
	}
	t := d.UTC()
	if t.After(now.Add(futureSlack)) {
		return now.UTC()
	}
	return t
}

func authorOf(it *gofeed.Item, gf *gofeed.Feed) string {
	var names []string
	for _, a := range it.Authors {
		if a != nil && strings.TrimSpace(a.Name) != "" {
			names = append(names, strings.TrimSpace(a.Name))
		}
	}
	if len(names) == 0 && it.Author != nil {
		names = append(names, strings.TrimSpace(it.Author.Name))
	}
	if len(names) == 0 && it.DublinCoreExt != nil {
		names = append(names, it.DublinCoreExt.Creator...)
	}
	if len(names) == 0 && gf.Author != nil {
		names = append(names, strings.TrimSpace(gf.Author.Name))
	}
	return plainText(strings.Join(names, ", "))
}

func firstWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	if i := strings.LastIndex(string(r), " "); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

var xmlEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']`)

// repairUTF8 replaces invalid bytes in a body that is, or claims to be,
// UTF-8, so that one bad byte does not cost the whole feed. A body that
// declares another charset is left to the parser's charset conversion.
func repairUTF8(body []byte) []byte {
	if m := xmlEncoding.FindSubmatch(body[:min(len(body), 200)]); m != nil {
		enc := strings.ToLower(string(m[1]))
		if enc != "utf-8" && enc != "utf8" {
			return body
		}
	}
	if utf8.Valid(body) {
		return body
	}
	return bytes.ToValidUTF8(body, []byte("\uFFFD"))
}

// fromHTTPCharset converts body to UTF-8 from the charset of contentType,
// when the body is not UTF-8 and declares no encoding of its own.
func fromHTTPCharset(body []byte, contentType string) []byte {
	if contentType == "" || utf8.Valid(body) || xmlEncoding.Match(body[:min(len(body), 200)]) {
		return body
	}
	_, params, err := mime.ParseMediaType(contentType)
	cs := strings.ToLower(params["charset"])
	if err != nil || cs == "" || cs == "utf-8" || cs == "utf8" {
		return body
	}
	r, err := charset.NewReaderLabel(cs, bytes.NewReader(body))
	if err != nil {
		return body
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return body
	}
	return out
}

func looksLikeHTML(body []byte) bool {
	head := bytes.ToLower(body[:min(len(body), 1024)])
	return bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html"))
}
