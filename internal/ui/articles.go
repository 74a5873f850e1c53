package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/kabootar/kabootar/internal/cache"
)

// reloadArticles reads the first page for the current query.
func (w *Window) reloadArticles() {
	q := w.query
	q.Limit, q.Offset = pageSize, 0
	w.loading = true
	w.bg.Go(func() {
		list, err := w.deps.Library.Articles(context.Background(), q)
		w.do(func() {
			w.loading = false
			if err != nil {
				w.showError(err)
				return
			}
			if q != w.pageQuery() {
				return // the query changed meanwhile: its own load follows
			}
			w.articles = list
			w.more = len(list) == pageSize
			w.articleList.UnselectAll()
			w.articleList.Refresh()
			w.articleList.ScrollToTop()
			if w.deps.Options.OpenFirst && w.selected == 0 && len(list) > 0 {
				w.articleList.Select(0)
			}
		})
	})
}

func (w *Window) pageQuery() cache.Query {
	q := w.query
	q.Limit, q.Offset = pageSize, 0
	return q
}

// loadMore reads the next page, as the list nears its end.
func (w *Window) loadMore() {
	q := w.query
	q.Limit, q.Offset = pageSize, len(w.articles)
	w.loading = true
	w.bg.Go(func() {
		list, err := w.deps.Library.Articles(context.Background(), q)
		w.do(func() {
			w.loading = false
			if err != nil || q.Offset != len(w.articles) {
				return
			}
			w.articles = append(w.articles, list...)
			w.more = len(list) == pageSize
			w.articleList.Refresh()
		})
	})
}

// searchChanged searches as the reader types, a moment after the last key.
func (w *Window) searchChanged(text string) {
	w.searchMu.Lock()
	defer w.searchMu.Unlock()
	if w.searchTimer != nil && w.searchTimer.Stop() {
		w.bg.Done() // the search it would have run
	}
	w.bg.Add(1)
	w.searchTimer = time.AfterFunc(150*time.Millisecond, func() {
		defer w.bg.Done()
		w.do(func() {
			w.query.Search = strings.TrimSpace(text)
			w.reloadArticles()
		})
	})
}

// buildArticleList makes the article list: a page of rows read at a
// time, the next read as the end nears.
func (w *Window) buildArticleList() {
	w.articleList = widget.NewList(
		func() int { return len(w.articles) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			// The source and the time in labels of their own: one run
			// mixing a Persian name and a date is not ordered right.
			left, right := widget.NewLabel("source"), widget.NewLabel("time")
			left.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(title, container.NewBorder(nil, nil, nil, right, left))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(w.articles) {
				return
			}
			a := w.articles[i]
			box := o.(*fyne.Container)
			title := box.Objects[0].(*widget.Label)
			metaRow := box.Objects[1].(*fyne.Container)
			left, right := metaRow.Objects[0].(*widget.Label), metaRow.Objects[1].(*widget.Label)
			mark := ""
			if !a.Read {
				mark = "● "
			}
			if a.Starred {
				mark += "★ "
			}
			title.SetText(mark + a.Title)
			title.TextStyle = fyne.TextStyle{Bold: !a.Read}
			title.Alignment = alignFor(a.Title)
			source, when := w.sourceName(a.SourceID), a.Published.Local().Format("2006-01-02 15:04")
			if title.Alignment == fyne.TextAlignTrailing {
				// Right to left: the source on the right, the time on the left.
				source, when = when, source
			}
			left.SetText(source)
			right.SetText(when)
			left.Alignment = fyne.TextAlignLeading
			left.Refresh()
			title.Refresh()
			// Read the next page before the end is reached.
			if i >= len(w.articles)-20 && w.more && !w.loading {
				w.loadMore()
			}
		})
	w.articleList.OnSelected = func(i widget.ListItemID) {
		if i < len(w.articles) {
			w.open(w.articles[i].ID)
		}
	}
}
