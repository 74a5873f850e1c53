package ui

import (
	"bytes"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kabootar/kabootar/feeds"
)

// block is a paragraph of an article: its text, the links in it, or an
// image.
type block struct {
	text  string
	links []link
	image string
	head  bool
}

type link struct{ text, url string }

// blocks splits sanitised article HTML into paragraphs. Fyne lays a
// RichText's inline segments out left to right, which scrambles a Persian
// paragraph holding a link; so a paragraph stays one run of text (Fyne
// orders the words of one run right), and its links follow it.
func blocks(content string) []block {
	var out []block
	cur := block{}
	var b strings.Builder
	var inLink *link
	flush := func() {
		cur.text = strings.Join(strings.Fields(b.String()), " ")
		if cur.text != "" || len(cur.links) > 0 {
			out = append(out, cur)
		}
		cur = block{}
		b.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return out
		case html.TextToken:
			t := html.UnescapeString(string(z.Text()))
			b.WriteString(t)
			if inLink != nil {
				inLink.text += t
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.Br:
				b.WriteString("\n")
			case atom.Img:
				flush()
				for _, a := range tok.Attr {
					if a.Key == "src" {
						out = append(out, block{image: a.Val})
					}
				}
			case atom.A:
				for _, a := range tok.Attr {
					if a.Key == "href" {
						inLink = &link{url: a.Val}
					}
				}
			case atom.H1, atom.H2, atom.H3, atom.H4:
				flush()
				cur.head = true
			case atom.P, atom.Div, atom.Li, atom.Blockquote, atom.Tr, atom.Figure:
				flush()
			}
		case html.EndTagToken:
			tok := z.Token()
			switch tok.DataAtom {
			case atom.A:
				if inLink != nil {
					inLink.text = strings.TrimSpace(inLink.text)
					cur.links = append(cur.links, *inLink)
					inLink = nil
				}
			case atom.P, atom.Div, atom.Li, atom.Blockquote, atom.Tr, atom.Figure, atom.H1, atom.H2, atom.H3, atom.H4:
				flush()
			}
		}
	}
}

// alignFor aligns right-to-left text to the right.
func alignFor(text string) fyne.TextAlign {
	if feeds.Direction(text) == "rtl" {
		return fyne.TextAlignTrailing
	}
	return fyne.TextAlignLeading
}

// segments renders blocks as RichText segments; image gives the cached
// bytes of an image, or nil when it is not saved.
func segments(bs []block, image func(url string) fyne.Resource) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	for _, b := range bs {
		if b.image != "" {
			if res := image(b.image); res != nil {
				out = append(out, &cachedImage{res: res})
			}
			continue
		}
		align := alignFor(b.text)
		style := widget.RichTextStyleParagraph
		if b.head {
			style = widget.RichTextStyleSubHeading
		}
		style.Alignment = align
		if b.text != "" {
			out = append(out, &widget.TextSegment{Text: b.text, Style: style})
		}
		for _, l := range b.links {
			ls := widget.RichTextStyleParagraph
			ls.Alignment = align
			ls.TextStyle = fyne.TextStyle{Italic: true}
			// The link's words and its address are runs of their own:
			// one run mixing a Persian text and a Latin URL is misordered.
			if l.text != "" && l.text != l.url {
				out = append(out, &widget.TextSegment{Text: "↗ " + l.text, Style: ls})
				ls.TextStyle = fyne.TextStyle{Italic: true, Monospace: true}
				ls.SizeName = theme.SizeNameCaptionText
				out = append(out, &widget.TextSegment{Text: l.url, Style: ls})
				continue
			}
			out = append(out, &widget.TextSegment{Text: "↗ " + l.url, Style: ls})
		}
	}
	return out
}

// cachedImage is a RichText segment showing an image from the cache's
// bytes. Fyne's own ImageSegment loads its URI, over http.Get for a web
// address: that would bypass Kabootar's routes, and leak in strict mode.
type cachedImage struct{ res fyne.Resource }

func (c *cachedImage) Inline() bool              { return false }
func (c *cachedImage) Textual() string           { return "Image " + c.res.Name() }
func (c *cachedImage) Select(_, _ fyne.Position) {}
func (c *cachedImage) SelectedText() string      { return "" }
func (c *cachedImage) Unselect()                 {}

func (c *cachedImage) Visual() fyne.CanvasObject {
	img := canvas.NewImageFromResource(c.res)
	img.FillMode = canvas.ImageFillContain
	w, h := float32(480), float32(270)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(c.res.Content())); err == nil && cfg.Width > 0 {
		w = min(float32(cfg.Width), 480)
		h = w * float32(cfg.Height) / float32(cfg.Width)
	}
	img.SetMinSize(fyne.NewSize(w, h))
	return img
}

func (c *cachedImage) Update(o fyne.CanvasObject) {
	if img, ok := o.(*canvas.Image); ok {
		img.Resource = c.res
		img.Refresh()
	}
}
