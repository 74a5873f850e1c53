package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
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

// articleRow is a row of the article list: the title (bold while
// unread, with the unread dot and the star), a line of its summary in the
// article's direction, and under them the source and the time. They are labels of their own: one run mixing a Persian name
// and a date is not ordered right.
type articleRow struct {
	widget.BaseWidget
	title, summary, source, when *widget.Label
	// The title and summary in their logical order; what the labels show
	// is fitted to their width (fitLine).
	titleText, summaryText string
	// marksAfter are the marks of a right-to-left title, put after its
	// fitted text: the right end of the line, its reading side.
	marksAfter string
}

func newArticleRow() *articleRow {
	r := &articleRow{title: widget.NewLabelWithStyle("title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		summary: widget.NewLabel("summary"), source: widget.NewLabel("source"), when: widget.NewLabel("time")}
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.summary.Truncation = fyne.TextTruncateEllipsis
	r.summary.SizeName = theme.SizeNameCaptionText
	r.source.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *articleRow) CreateRenderer() fyne.WidgetRenderer {
	return fittingRenderer{widget.NewSimpleRenderer(container.New(layout.NewCustomPaddedVBoxLayout(0),
		r.title, r.summary, container.NewBorder(nil, nil, nil, r.when, r.source))), r.fit}
}

// fittingRenderer fits its row's lines to their widths after each layout.
type fittingRenderer struct {
	fyne.WidgetRenderer
	fit func()
}

func (f fittingRenderer) Layout(s fyne.Size) {
	f.WidgetRenderer.Layout(s)
	f.fit()
}

// fit shows the title and summary fitted to the labels' widths.
func (r *articleRow) fit() {
	pad := 2 * theme.InnerPadding()
	width := r.title.Size().Width - pad
	if r.marksAfter != "" {
		width -= fyne.MeasureText(r.marksAfter, theme.TextSize(), r.title.TextStyle).Width
	}
	if t := fitLine(r.titleText, width, theme.TextSize(), r.title.TextStyle) + r.marksAfter; t != r.title.Text {
		r.title.SetText(t)
	}
	if s := fitLine(r.summaryText, r.summary.Size().Width-pad, theme.CaptionTextSize(), r.summary.TextStyle); s != r.summary.Text {
		r.summary.SetText(s)
	}
}

// set shows a, from the source named source.
func (r *articleRow) set(a cache.Summary, source string, persian bool) {
	mark := ""
	if !a.Read {
		mark = "● "
	}
	if a.Starred {
		mark += "★ "
	}
	r.title.Alignment = alignFor(a.Title)
	r.titleText, r.marksAfter = mark+a.Title, ""
	if r.title.Alignment == fyne.TextAlignTrailing && mark != "" {
		// The marks on the reading side, the right: Fyne lays a line
		// left to right, so they go after a right-to-left title.
		marks := strings.Fields(mark)
		slices.Reverse(marks)
		r.titleText, r.marksAfter = a.Title, " "+strings.Join(marks, " ")
	}
	r.title.TextStyle = fyne.TextStyle{Bold: !a.Read}
	// The summary in its own direction: the article's, from its text.
	r.summaryText = summaryLine(a.Summary)
	r.summary.Alignment = fyne.TextAlignLeading
	if a.Dir == "rtl" || (a.Dir == "" && alignFor(a.Summary) == fyne.TextAlignTrailing) {
		r.summary.Alignment = fyne.TextAlignTrailing
	}
	when := dateText(a.Published.Local(), time.Now(), persian)
	if persian {
		when = visualRTL(when)
	}
	if r.title.Alignment == fyne.TextAlignTrailing {
		// Right to left: the source on the right, the time on the left.
		source, when = when, source
	}
	r.source.SetText(source)
	r.when.SetText(when)
	r.fit()
	r.title.Refresh()
}

// articleRows is the article list's data: the rows loaded so far, a page
// at a time, and the next page read as the end nears.
type articleRows struct{ w *Window }

func (l articleRows) Length() int { return len(l.w.articles) }

func (l articleRows) CreateItem() fyne.CanvasObject { return newArticleRow() }

func (l articleRows) UpdateItem(i widget.ListItemID, o fyne.CanvasObject) {
	w := l.w
	if i >= len(w.articles) {
		return
	}
	a := w.articles[i]
	o.(*articleRow).set(a, w.sourceName(a.SourceID), w.persian)
	if i >= len(w.articles)-20 && w.more && !w.loading {
		w.loadMore()
	}
}

// buildArticleList makes the article list.
func (w *Window) buildArticleList() {
	rows := articleRows{w}
	w.articleList = widget.NewList(rows.Length, rows.CreateItem, rows.UpdateItem)
	w.articleList.OnSelected = func(i widget.ListItemID) {
		if i < len(w.articles) {
			w.open(w.articles[i].ID)
		}
	}
}

// summaryLine is the start of a summary on one line, short enough for a
// row (the label cuts it to the row's width).
func summaryLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = strings.TrimSpace(string(r[:300]))
	}
	return s
}
