package ui

import (
	"context"
	"net/url"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	"github.com/kabootar/kabootar/internal/cache"
)

// open shows an article in the reader and marks it read.
func (w *Window) open(id int64) {
	w.selected = id
	w.bg.Go(func() {
		ctx := context.Background()
		a, err := w.deps.Library.Article(ctx, id)
		if err != nil {
			w.do(func() { w.showError(err) })
			return
		}
		bs := blocks(a.HTML)
		// Decoded here, off the Fyne thread, and at the size shown.
		images := map[string]*cachedImage{}
		for _, b := range bs {
			if b.image != "" {
				if m, err := w.deps.Library.Media(ctx, b.image); err == nil {
					images[b.image] = newCachedImage(b.image, m.Data)
				}
			}
		}
		if !a.Read {
			// The article still shows; the reader learns why it stays unread.
			if err := w.deps.Library.SetRead(ctx, id, true); err != nil {
				w.do(func() { w.showError(err) })
			}
		}
		prov, _ := w.deps.Library.ArticleProvenance(ctx, id) // none said when it cannot be read
		segs := segments(bs, func(u string) *cachedImage { return images[u] })
		if len(segs) == 0 {
			segs = []widget.RichTextSegment{&widget.TextSegment{Text: a.Summary, Style: widget.RichTextStyleParagraph}}
		}
		w.do(func() {
			if w.selected != id {
				return
			}
			w.current = &a
			w.readerTitle.SetText(a.Title)
			w.readerTitle.Alignment = alignFor(a.Title)
			w.readerTitle.Refresh()
			// Source, time and author as labels of their own, in the
			// article's direction: one run mixing them is not ordered right.
			var parts []fyne.CanvasObject
			for _, p := range []string{w.sourceName(a.SourceID), visualRTL(dateText(a.Published.Local(), time.Now(), w.persian)), a.Author,
				visualRTL(w.provenanceText(prov))} {
				if p != "" {
					parts = append(parts, widget.NewLabel(p))
				}
			}
			if w.readerTitle.Alignment == fyne.TextAlignTrailing {
				slices.Reverse(parts)
				parts = append([]fyne.CanvasObject{layout.NewSpacer()}, parts...)
			}
			w.readerMeta.Objects = parts
			w.readerMeta.Refresh()
			w.reader.Segments = segs
			w.reader.Refresh()
			// A new article starts at its top.
			w.readerScroll.ScrollToTop()
			w.readerScroll.Refresh()
			if a.URL != "" {
				w.openButton.Enable()
			} else {
				w.openButton.Disable()
			}
			if a.URL != "" && w.deps.Actions != nil {
				w.fullButton.Enable()
			} else {
				w.fullButton.Disable()
			}
			for i := range w.articles {
				if w.articles[i].ID == id {
					w.articles[i].Read = true
				}
			}
			w.articleList.Refresh()
			w.reloadSources()
		})
	})
}

// page scrolls the reader by most of a screen, and at the end of the
// article goes on to the next.
func (w *Window) page() {
	s := w.readerScroll
	max := s.Content.MinSize().Height - s.Size().Height
	if s.Offset.Y >= max-1 {
		w.move(1)
		return
	}
	s.ScrollToOffset(fyne.NewPos(0, min(s.Offset.Y+s.Size().Height*0.9, max)))
}

func (w *Window) move(d int) {
	idx := -1
	for i, a := range w.articles {
		if a.ID == w.selected {
			idx = i
		}
	}
	if n := idx + d; n >= 0 && n < len(w.articles) {
		w.articleList.Select(n)
		w.articleList.ScrollTo(n)
	}
}

func (w *Window) toggleRead() {
	if w.current == nil {
		return
	}
	a := w.current
	a.Read = !a.Read
	w.bg.Go(func() {
		if err := w.deps.Library.SetRead(context.Background(), a.ID, a.Read); err != nil {
			w.do(func() { a.Read = !a.Read; w.showError(err) })
			return
		}
		w.do(func() { w.reloadArticles(); w.reloadSources() })
	})
}

func (w *Window) toggleStar() {
	if w.current == nil {
		return
	}
	a := w.current
	a.Starred = !a.Starred
	w.bg.Go(func() {
		if err := w.deps.Library.SetStarred(context.Background(), a.ID, a.Starred); err != nil {
			w.do(func() { a.Starred = !a.Starred; w.showError(err) })
			return
		}
		w.do(w.articleList.Refresh)
	})
}

// openOriginal opens the article's page in the system browser, after
// saying that the browser does not use Kabootar's routes.
func (w *Window) openOriginal() {
	// Only a web page: a cache written before Kabootar kept only http(s)
	// links may hold javascript: or smb: ones (smb makes Windows send the
	// user's credentials to the host).
	if w.current == nil || cache.WebURL(w.current.URL) == "" {
		return
	}
	u, err := url.Parse(cache.WebURL(w.current.URL))
	if err != nil {
		return
	}
	w.showConfirm(lang.L("Open original"), lang.L("Open original"), lang.L("Cancel"),
		messageLabel(lang.L("Opening the original uses your system browser, which does not use Kabootar's routes or proxy.")),
		func() { w.app.OpenURL(u) }, true)
}

// getFullText fetches the article's page through Kabootar's routes,
// keeps its text and images, and shows it.
func (w *Window) getFullText() {
	if w.current == nil || w.deps.Actions == nil {
		return
	}
	id, page := w.current.ID, w.current.URL
	w.fullButton.Disable()
	w.bg.Go(func() {
		err := w.deps.Actions.FullText(context.Background(), id, page)
		w.do(func() {
			if err != nil {
				w.fullButton.Enable()
				w.showError(err)
				return
			}
			if w.selected == id {
				w.open(id)
			}
		})
	})
}

// buildReader makes the reader: title, source and time, the article,
// and its buttons.
func (w *Window) buildReader() fyne.CanvasObject {
	w.readerTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.readerTitle.Wrapping = fyne.TextWrapWord
	w.readerMeta = container.NewHBox()
	hint := lang.L("Select an article to read it.")
	hintStyle := widget.RichTextStyleParagraph
	hintStyle.Alignment = alignFor(hint)
	w.reader = widget.NewRichText(&widget.TextSegment{Text: hint, Style: hintStyle})
	w.reader.Wrapping = fyne.TextWrapWord
	w.openButton = widget.NewButton(lang.L("Open original"), w.openOriginal)
	w.openButton.Disable()
	w.fullButton = widget.NewButton(lang.L("Get full text"), w.getFullText)
	w.fullButton.Disable()
	w.readerScroll = container.NewVScroll(w.reader)
	return container.NewBorder(container.NewVBox(w.readerTitle, w.readerMeta), container.NewHBox(w.openButton, w.fullButton), nil, nil,
		w.readerScroll)
}
