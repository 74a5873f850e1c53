package feeds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"

	"github.com/kabootar/kabootar/internal/cache"
)

// MaxOPMLBytes caps an OPML file; a subscription list is never this large.
const MaxOPMLBytes = 10 << 20

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Title   string        `xml:"head>title"`
	Created string        `xml:"head>dateCreated,omitempty"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlOutline struct {
	Text    string `xml:"text,attr"`
	Title   string `xml:"title,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	XMLURL  string `xml:"xmlUrl,attr,omitempty"`
	HTMLURL string `xml:"htmlUrl,attr,omitempty"`
	// Mirrors are a source's other addresses, space-separated, so that a
	// list passed from one reader to another keeps its ways around blocks.
	// The namespace's last path element gives encoding/xml the prefix
	// kabootar:, as in kabootar:mirrors.
	Mirrors  string        `xml:"https://github.com/kabootar/kabootar mirrors,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// ErrBadOPML is a file that is not a readable OPML subscription list.
var ErrBadOPML = errors.New("not a readable OPML file")

// MaxOPMLOutlines bounds one import: every feed imported is fetched at the
// next refresh, and nobody reads ten thousand.
const MaxOPMLOutlines = 10_000

func countOutlines(os []opmlOutline) int {
	n := len(os)
	for _, o := range os {
		n += countOutlines(o.Outlines)
	}
	return n
}

// ReadOPML reads the feeds of an OPML file, folders flattened. The whole
// file is checked before anything is returned, so a broken file imports
// nothing.
func ReadOPML(r io.Reader) ([]cache.Source, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxOPMLBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOPML, err)
	}
	if len(data) > MaxOPMLBytes {
		return nil, fmt.Errorf("%w: larger than %d MB", ErrBadOPML, MaxOPMLBytes>>20)
	}
	var doc opmlDoc
	dec := xml.NewDecoder(bytes.NewReader(repairUTF8(data)))
	dec.CharsetReader = charset.NewReaderLabel
	if err := dec.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			// The parser's message may quote the raw byte it choked on.
			return nil, fmt.Errorf("%w: the file is not well-formed XML (line %d)", ErrBadOPML, se.Line)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadOPML, err)
	}
	if n := countOutlines(doc.Body); n > MaxOPMLOutlines {
		return nil, fmt.Errorf("%w: it lists %d outlines; Kabootar imports at most %d at once (split the file, or remove what you do not read)",
			ErrBadOPML, n, MaxOPMLOutlines)
	}
	var out []cache.Source
	var walk func([]opmlOutline) error
	walk = func(os []opmlOutline) error {
		for _, o := range os {
			if o.XMLURL != "" {
				kind := cache.KindFeed
				u := strings.TrimSpace(o.XMLURL)
				switch strings.ToLower(o.Type) {
				case cache.KindBridge:
					kind = cache.KindBridge
					canon, ok := BridgeSource(u)
					if !ok {
						return fmt.Errorf("%w: outline %q: %q is not a bridge source", ErrBadOPML, o.Text, u)
					}
					u = canon
				case cache.KindTelegram:
					kind = cache.KindTelegram
					fallthrough
				default:
					var err error
					if u, err = NormalizeURL(u); err != nil {
						return fmt.Errorf("%w: outline %q: %v", ErrBadOPML, o.Text, err)
					}
				}
				var mirrors []string
				for _, m := range strings.Fields(o.Mirrors) {
					mu, err := NormalizeURL(m)
					if err != nil {
						return fmt.Errorf("%w: outline %q: mirror: %v", ErrBadOPML, o.Text, err)
					}
					mirrors = append(mirrors, mu)
				}
				name := o.Title
				if name == "" {
					name = o.Text
				}
				out = append(out, cache.Source{Kind: kind, URL: u, Name: strings.TrimSpace(name), SiteURL: o.HTMLURL, Mirrors: mirrors})
			}
			if err := walk(o.Outlines); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Body); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: it lists no feeds", ErrBadOPML)
	}
	return out, nil
}

// WriteOPML writes sources as an OPML 2.0 subscription list.
func WriteOPML(w io.Writer, sources []cache.Source, now time.Time) error {
	doc := opmlDoc{Version: "2.0", Title: "Kabootar subscriptions", Created: now.UTC().Format(time.RFC1123Z)}
	for _, s := range sources {
		name := s.Name
		if name == "" {
			name = s.URL
		}
		typ := "rss"
		if s.Kind != cache.KindFeed {
			typ = s.Kind
		}
		doc.Body = append(doc.Body, opmlOutline{Text: name, Title: name, Type: typ, XMLURL: s.URL, HTMLURL: s.SiteURL,
			Mirrors: strings.Join(s.Mirrors, " ")})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
