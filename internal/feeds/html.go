package feeds

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/bidi"
)

// newPolicy is the sanitiser for article HTML: bluemonday's policy for
// untrusted content (no script, style, iframe, form or event handlers; links
// only to http, https and mailto, so no javascript: or data:), with images
// kept as references and the dir attribute kept for right-to-left text.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("src", "alt", "title", "width", "height").OnElements("img")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(false)
	return p
}

// blockElems end a line of plain text.
var blockElems = map[atom.Atom]bool{
	atom.P: true, atom.Br: true, atom.Div: true, atom.Li: true, atom.Tr: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Hr: true, atom.Figure: true, atom.Figcaption: true,
	atom.Ul: true, atom.Ol: true, atom.Table: true, atom.Section: true, atom.Article: true,
}

// hiddenElems hold no text for a reader.
var hiddenElems = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true}

// linkAllowed says whether a resolved link may stay in an article: http and
// https (and mailto for a link, not an image), the schemes the sanitiser
// allows. A relative reference stays only when there is nothing to resolve
// it against.
func linkAllowed(ref string, isLink bool) bool {
	u, err := url.Parse(ref)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	case "mailto":
		return isLink
	case "":
		return !u.IsAbs() && u.Opaque == ""
	}
	return false
}

// finishHTML walks sanitised HTML once: it resolves relative href and src
// against base, and collects the plain text (block elements end lines,
// other whitespace collapsed). Tags without links are copied as they are;
// it runs on every article, so it allocates little.
func finishHTML(clean string, base *url.URL) (htmlOut, text string) {
	w := walkHTML(clean, base)
	return w.html, w.text
}

// walked is what walkHTML found.
type walked struct {
	html, text string
	hasImage   bool     // an img element, whatever its source
	images     []string // the absolute http(s) sources, once each, as Images gives them
}

// walkHTML is finishHTML, also listing the images the HTML shows, so
// that the images' pass need not read and tokenise every article again.
func walkHTML(clean string, base *url.URL) walked {
	var w walked
	if clean == "" {
		return w
	}
	image := func(src string) {
		u, err := url.Parse(src)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return
		}
		if s := u.String(); !slices.Contains(w.images, s) {
			w.images = append(w.images, s)
		}
	}
	out := make([]byte, 0, len(clean)+len(clean)/8)
	txt := make([]byte, 0, len(clean)/2)
	space := false // whitespace seen since the last word
	newline := func() {
		if len(txt) > 0 && txt[len(txt)-1] != '\n' {
			txt = append(txt, '\n')
		}
		space = false
	}
	z := html.NewTokenizer(strings.NewReader(clean))
	// The text of script and style elements is code, not words: a title
	// given as HTML may hold them (the sanitiser removes them from content).
	var hidden atom.Atom
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			w.html, w.text = string(out), strings.TrimSpace(string(txt))
			return w
		case html.TextToken:
			if hidden != 0 {
				continue
			}
			raw := z.Raw()
			out = append(out, raw...)
			t := raw
			if bytes.IndexByte(raw, '&') >= 0 {
				t = []byte(html.UnescapeString(string(raw)))
			}
			for len(t) > 0 {
				n, isSpace := 1, false
				if c := t[0]; c < utf8.RuneSelf {
					isSpace = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
				} else {
					var r rune
					r, n = utf8.DecodeRune(t)
					if r == utf8.RuneError && n == 1 {
						t = append([]byte("\uFFFD"), t[1:]...) // keep the text valid UTF-8
						continue
					}
					isSpace = (r == 0x85 || r == 0xa0 || r >= 0x1680) && unicode.IsSpace(r)
				}
				if isSpace {
					space = true
					t = t[n:]
					continue
				}
				if space && len(txt) > 0 && txt[len(txt)-1] != '\n' {
					txt = append(txt, ' ')
				}
				space = false
				txt = append(txt, t[:n]...)
				t = t[n:]
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := z.Raw()
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if hiddenElems[a] {
				if tt == html.StartTagToken {
					hidden = a
				}
				continue
			}
			if blockElems[a] {
				newline()
			}
			w.hasImage = w.hasImage || a == atom.Img
			if base == nil || !hasAttr || (a != atom.A && a != atom.Img) {
				out = append(out, raw...)
				for a == atom.Img && hasAttr { // copied as it is; its source is still listed
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "src" {
						image(string(v))
					}
				}
				continue
			}
			// Rebuild the tag with its links made absolute.
			out = append(out, '<')
			out = append(out, name...)
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				val := string(v)
				if string(k) == "href" || string(k) == "src" {
					val = resolve(base, val)
					// Checked again once resolved: a reference that looked
					// harmless may resolve into another scheme.
					if !linkAllowed(val, string(k) == "href") {
						continue
					}
					if a == atom.Img && string(k) == "src" {
						image(val)
					}
				}
				out = append(out, ' ')
				out = append(out, k...)
				out = append(out, `="`...)
				out = append(out, html.EscapeString(val)...)
				out = append(out, '"')
			}
			if tt == html.SelfClosingTagToken {
				out = append(out, '/')
			}
			out = append(out, '>')
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if hiddenElems[a] {
				if a == hidden {
					hidden = 0
				}
				continue
			}
			out = append(out, z.Raw()...)
			if blockElems[a] {
				newline()
			}
		default:
			out = append(out, z.Raw()...)
		}
	}
}

// resolve makes ref absolute against base; a ref that does not parse is
// returned as it was (the sanitiser already let it through as harmless).
func resolve(base *url.URL, ref string) string {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || base == nil {
		return ref
	}
	return base.ResolveReference(r).String()
}

// PlainText is the text of an article's (sanitised) HTML, as the cache
// indexed it: block elements end lines, other whitespace collapsed.
func PlainText(htmlText string) string {
	_, t := finishHTML(htmlText, nil)
	return t
}

// plainText is the text of an HTML fragment, such as a title with markup or
// entities in it, on one line.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	_, t := finishHTML(s, nil)
	return strings.Join(strings.Fields(t), " ")
}

// Direction is "rtl" when the first strongly directional character of the
// texts is right-to-left (Persian, Arabic, Hebrew…), else "ltr".
func Direction(texts ...string) string { return direction(texts...) }

func direction(texts ...string) string {
	for _, s := range texts {
		for _, r := range s {
			p, _ := bidi.LookupRune(r)
			switch p.Class() {
			case bidi.R, bidi.AL:
				return "rtl"
			case bidi.L:
				return "ltr"
			}
		}
	}
	return "ltr"
}

// Clean sanitises HTML that came from elsewhere than a feed (a bundle of
// saved news) as a fetched article's is, and gives its plain text.
func (p *Parser) Clean(htmlText string) (safe, text string) {
	return finishHTML(p.policy.Sanitize(htmlText), nil)
}
