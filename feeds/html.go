package feeds

import (
	"bytes"
	"net/url"
	"strings"

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

// finishHTML walks sanitised HTML once: it resolves relative href and src
// against base, and collects the plain text (block elements end lines,
// other whitespace collapsed).
func finishHTML(clean string, base *url.URL) (htmlOut, text string) {
	if clean == "" {
		return "", ""
	}
	var out bytes.Buffer
	out.Grow(len(clean))
	var txt strings.Builder
	z := html.NewTokenizer(strings.NewReader(clean))
	space := false
	newline := func() {
		if txt.Len() > 0 {
			space = false
			s := txt.String()
			if !strings.HasSuffix(s, "\n") {
				txt.WriteByte('\n')
			}
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out.String(), strings.TrimSpace(txt.String())
		case html.TextToken:
			raw := z.Raw()
			out.Write(raw)
			t := html.UnescapeString(string(raw))
			if t == "" {
				continue
			}
			if isSpace(t[0]) {
				space = true
			}
			for _, f := range strings.Fields(t) {
				if space && txt.Len() > 0 && !strings.HasSuffix(txt.String(), "\n") {
					txt.WriteByte(' ')
				}
				txt.WriteString(f)
				space = true
			}
			space = isSpace(t[len(t)-1])
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if blockElems[tok.DataAtom] {
				newline()
			}
			if base != nil {
				for i, a := range tok.Attr {
					if a.Key == "href" || a.Key == "src" {
						tok.Attr[i].Val = resolve(base, a.Val)
					}
				}
			}
			out.WriteString(tok.String())
		case html.EndTagToken:
			out.Write(z.Raw())
			tok := z.Token()
			if blockElems[tok.DataAtom] {
				newline()
			}
		default:
			out.Write(z.Raw())
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// resolve makes ref absolute against base; a ref that does not parse is
// returned as it was (the sanitiser already let it through as harmless).
func resolve(base *url.URL, ref string) string {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || base == nil {
		return ref
	}
	return base.ResolveReference(r).String()
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

// direction is "rtl" when the first strongly directional character of the
// texts is right-to-left (Persian, Arabic, Hebrew…), else "ltr".
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
