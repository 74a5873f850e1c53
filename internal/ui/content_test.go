package ui

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

func TestBlocks(t *testing.T) {
	bs := blocks(`<h2>تیتر</h2><p dir="rtl">متن <b>مهم</b> با <a href="https://news.example/1">پیوند</a> و ادامه.</p><img src="https://news.example/a.jpg"><p>English <a href="https://e.example/">link</a></p>`)
	if len(bs) != 4 {
		t.Fatalf("%d blocks: %+v", len(bs), bs)
	}
	if !bs[0].head || bs[1].text != "متن مهم با پیوند و ادامه." || len(bs[1].links) != 1 || bs[1].links[0].url != "https://news.example/1" {
		t.Errorf("paragraph: %+v", bs[1])
	}
	if bs[2].image != "https://news.example/a.jpg" || bs[3].text != "English link" {
		t.Errorf("blocks: %+v", bs)
	}
}

// TestRTLParagraphWithLink renders a Persian paragraph holding a link: it
// must stay one run, aligned right, with its words in order, and the link
// must follow it, aligned right too; an English paragraph stays left.
func TestRTLParagraphWithLink(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newTheme(Reading{}))
	segs := segments(blocks(`<p>خبر <a href="https://news.example/1">گزارش کامل</a> را بخوانید</p><p>English text</p>`), func(string) *cachedImage { return nil })
	rt := widget.NewRichText(segs...)
	w := test.NewTempWindow(t, rt)
	w.Resize(fyne.NewSize(600, 300))

	var texts []*canvas.Text
	for _, o := range test.LaidOutObjects(w.Content()) {
		if tx, ok := o.(*canvas.Text); ok && strings.TrimSpace(tx.Text) != "" {
			texts = append(texts, tx)
		}
	}
	if len(texts) != 4 {
		t.Fatalf("%d text runs: want the paragraph, its link's words and address, the English line", len(texts))
	}
	width := rt.Size().Width
	para, link, addr, en := texts[0], texts[1], texts[2], texts[3]
	if para.Text != "خبر گزارش کامل را بخوانید" {
		t.Errorf("the paragraph is not one run in order: %q", para.Text)
	}
	// The link's Persian words and its Latin address never share a run.
	if link.Text != "↗ گزارش کامل" || link.Position().Y <= para.Position().Y {
		t.Errorf("the link does not follow the paragraph: %q at %v", link.Text, link.Position())
	}
	if addr.Text != "https://news.example/1" || addr.Position().Y <= link.Position().Y {
		t.Errorf("the address does not follow the link: %q at %v", addr.Text, addr.Position())
	}
	rightGap := func(tx *canvas.Text) float32 { return width - (tx.Position().X + tx.MinSize().Width) }
	for _, tx := range []*canvas.Text{para, link, addr} {
		if tx.Alignment != fyne.TextAlignTrailing || rightGap(tx) > 2*theme0Padding() || tx.Position().X < width/3 {
			t.Errorf("RTL run %q not at the right: x=%v width %v of %v", tx.Text, tx.Position().X, tx.MinSize().Width, width)
		}
	}
	if en.Alignment != fyne.TextAlignLeading || en.Position().X > 2*theme0Padding() {
		t.Errorf("English run not at the left: x=%v", en.Position().X)
	}
}

func theme0Padding() float32 { return 8 }

func TestReadingTheme(t *testing.T) {
	dark := newTheme(Reading{Theme: "dark", Scale: 1.3})
	light := newTheme(Reading{Theme: "light"})
	bg := theme.ColorNameBackground
	if dark.Color(bg, theme.VariantLight) == light.Color(bg, theme.VariantLight) {
		t.Error("the dark theme is not dark when the system is light")
	}
	if got, want := dark.Size(theme.SizeNameText), theme.DefaultTheme().Size(theme.SizeNameText)*1.3; got != want {
		t.Errorf("text size %v, want %v", got, want)
	}
	if dark.Size(theme.SizeNamePadding) != theme.DefaultTheme().Size(theme.SizeNamePadding) {
		t.Error("padding scaled with the text")
	}
}

// The reader keeps an image at the size it shows it, never a camera's
// full-size photo, and shows nothing for an image claiming too many pixels.
func TestCachedImageAtDisplaySize(t *testing.T) {
	var big bytes.Buffer
	png.Encode(&big, image.NewGray(image.Rect(0, 0, 2400, 1200)))
	c := newCachedImage("big.png", big.Bytes())
	if c == nil || c.img == nil || c.img.Bounds().Dx() != 2*displayWidth || c.img.Bounds().Dy() != displayWidth {
		t.Fatalf("kept at %v", c.img.Bounds())
	}
	if c.size.Width != displayWidth || c.size.Height != displayWidth/2 {
		t.Errorf("shown at %v", c.size)
	}
	var wide bytes.Buffer
	png.Encode(&wide, image.NewGray(image.Rect(0, 0, cache.MaxImageSide+1, 1)))
	if newCachedImage("bomb.png", wide.Bytes()) != nil {
		t.Error("an image past the pixel bound is shown")
	}
	svg := newCachedImage("x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`))
	if svg == nil || svg.res == nil {
		t.Error("an SVG is not kept as a resource")
	}
}
