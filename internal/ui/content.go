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
	xdraw "golang.org/x/image/draw"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
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

// segments renders blocks as RichText segments; image gives an image
// from the cache, ready to show, or nil when it is not saved.
func segments(bs []block, image func(url string) *cachedImage) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	for _, b := range bs {
		if b.image != "" {
			if img := image(b.image); img != nil {
				out = append(out, img)
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
// A bitmap is decoded once, off the Fyne thread, and kept at the size the
// reader shows it (newCachedImage); a vector image (SVG) stays a resource.
type cachedImage struct {
	name string
	img  image.Image   // decoded, at most displayWidth wide
	res  fyne.Resource // when it could not be decoded here (SVG)
	size fyne.Size
}

// displayWidth is the widest an image is shown; twice that is kept, for
// screens that draw two pixels a point.
const displayWidth = 480

// newCachedImage makes an image ready to show from stored bytes: decoded
// and scaled down to twice the display width, so that the window never
// holds a camera's full-size photo. It refuses what claims more pixels than
// the cache keeps (an image stored before that bound), returning nil.
func newCachedImage(name string, data []byte) *cachedImage {
	if cache.CheckImage(data) != nil {
		return nil
	}
	c := &cachedImage{name: name, size: fyne.NewSize(displayWidth, displayWidth*9/16)}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		c.res = fyne.NewStaticResource(name, data)
		return c
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil
	}
	if b.Dx() > 2*displayWidth {
		h := max(1, b.Dy()*2*displayWidth/b.Dx())
		small := image.NewRGBA(image.Rect(0, 0, 2*displayWidth, h))
		xdraw.ApproxBiLinear.Scale(small, small.Bounds(), img, b, xdraw.Src, nil)
		img = small
	}
	c.img = img
	w := min(float32(b.Dx()), displayWidth)
	c.size = fyne.NewSize(w, w*float32(b.Dy())/float32(b.Dx()))
	return c
}

func (c *cachedImage) Inline() bool              { return false }
func (c *cachedImage) Textual() string           { return "Image " + c.name }
func (c *cachedImage) Select(_, _ fyne.Position) {}
func (c *cachedImage) SelectedText() string      { return "" }
func (c *cachedImage) Unselect()                 {}

func (c *cachedImage) Visual() fyne.CanvasObject {
	var img *canvas.Image
	if c.img != nil {
		img = canvas.NewImageFromImage(c.img)
	} else {
		img = canvas.NewImageFromResource(c.res)
	}
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(c.size)
	return img
}

func (c *cachedImage) Update(o fyne.CanvasObject) {
	if img, ok := o.(*canvas.Image); ok {
		img.Image, img.Resource = c.img, c.res
		img.Refresh()
	}
}
