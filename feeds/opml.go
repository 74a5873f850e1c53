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

	"github.com/kabootar/kabootar/cache"
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
	Text     string        `xml:"text,attr"`
	Title    string        `xml:"title,attr,omitempty"`
	Type     string        `xml:"type,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// ErrBadOPML is a file that is not a readable OPML subscription list.
var ErrBadOPML = errors.New("not a readable OPML file")

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
		return nil, fmt.Errorf("%w: %v", ErrBadOPML, err)
	}
	var out []cache.Source
	var walk func([]opmlOutline) error
	walk = func(os []opmlOutline) error {
		for _, o := range os {
			if o.XMLURL != "" {
				u, err := NormalizeURL(o.XMLURL)
				if err != nil {
					return fmt.Errorf("%w: outline %q: %v", ErrBadOPML, o.Text, err)
				}
				name := o.Title
				if name == "" {
					name = o.Text
				}
				out = append(out, cache.Source{Kind: cache.KindFeed, URL: u, Name: strings.TrimSpace(name), SiteURL: o.HTMLURL})
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
		doc.Body = append(doc.Body, opmlOutline{Text: name, Title: name, Type: typ, XMLURL: s.URL, HTMLURL: s.SiteURL})
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
