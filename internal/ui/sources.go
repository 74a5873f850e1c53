package ui

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// sourceRow is a row of the sources list: a name, its status and an
// unread count, with a context menu on the secondary button. The name and
// the status are labels of their own: one run mixing a Persian name and a
// Latin status would be misordered.
type sourceRow struct {
	widget.BaseWidget
	name, status, count *widget.Label
	onMenu              func(at fyne.Position)
	rtl                 bool   // the count on the left of the name
	nameText            string // the name in logical order; shown fitted (fitLine)
}

// setName shows name, fitted to the label's width.
func (r *sourceRow) setName(name string) {
	r.nameText = name
	r.fit()
}

func (r *sourceRow) fit() {
	w := r.name.Size().Width - 2*theme.InnerPadding()
	if t := fitLine(r.nameText, w, theme.TextSize(), r.name.TextStyle); t != r.name.Text {
		r.name.SetText(t)
	}
}

func newSourceRow(rtl bool) *sourceRow {
	r := &sourceRow{name: widget.NewLabel("source name"), status: widget.NewLabel("✓"), count: widget.NewLabel("000"), rtl: rtl}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.status.Truncation = fyne.TextTruncateEllipsis
	r.status.SizeName = theme.SizeNameCaptionText
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer lays the status under the name, so that a long status
// (the proxy that served it) never squeezes the name.
func (r *sourceRow) CreateRenderer() fyne.WidgetRenderer {
	names := container.New(layout.NewCustomPaddedVBoxLayout(0), r.name, r.status)
	if r.rtl {
		return fittingRenderer{widget.NewSimpleRenderer(container.NewBorder(nil, nil, r.count, nil, names)), r.fit}
	}
	return fittingRenderer{widget.NewSimpleRenderer(container.NewBorder(nil, nil, nil, r.count, names)), r.fit}
}

// TappedSecondary opens the source's menu.
func (r *sourceRow) TappedSecondary(e *fyne.PointEvent) {
	if r.onMenu != nil {
		r.onMenu(e.AbsolutePosition)
	}
}

// sourceMenu offers what can be done with a source: refresh, rename, remove.
func (w *Window) sourceMenu(src cache.Source, at fyne.Position) {
	notify := fyne.NewMenuItem(lang.L("Notify me of new articles"), nil)
	notify.Checked = w.notify[src.ID]
	notify.Action = func() { w.setNotify(src.ID, !w.notify[src.ID]) }
	menu := fyne.NewMenu("", notify,
		fyne.NewMenuItem(lang.L("Refresh"), func() {
			if w.refreshing == nil {
				w.startRefresh()
			}
		}),
		fyne.NewMenuItem(lang.L("Rename…"), func() { w.renameDialog(src) }),
		fyne.NewMenuItem(lang.L("Mirrors…"), func() { w.mirrorsDialog(src) }),
		fyne.NewMenuItem(lang.L("Remove…"), func() { w.removeDialog(src) }),
	)
	widget.ShowPopUpMenuAtPosition(menu, w.win.Canvas(), at)
}

func (w *Window) renameDialog(src cache.Source) {
	entry := w.newEntry(false)
	entry.SetText(cmp.Or(src.Name, src.URL))
	w.showForm(lang.L("Rename…"), lang.L("Save"), lang.L("Cancel"), []*widget.FormItem{widget.NewFormItem("", entry)},
		func(ok bool) {
			name := strings.TrimSpace(entry.Text)
			if ok && name != "" {
				w.changeSource(func(ctx context.Context) error { return w.deps.Library.RenameSource(ctx, src.ID, name) })
			}
		}, entry)
}

// mirrorsDialog edits a source's other addresses, one per line.
func (w *Window) mirrorsDialog(src cache.Source) {
	entry := w.newEntry(true)
	entry.SetText(strings.Join(src.Mirrors, "\n"))
	entry.SetPlaceHolder("https://mirror.example/feed")
	entry.SetMinRowsVisible(4)
	w.showForm(lang.L("Mirrors…"), lang.L("Save"), lang.L("Cancel"), []*widget.FormItem{widget.NewFormItem("", entry)},
		func(ok bool) {
			if !ok {
				return
			}
			var mirrors []string
			for _, m := range strings.Split(entry.Text, "\n") {
				if m = strings.TrimSpace(m); m != "" {
					u, err := feeds.NormalizeURL(m)
					if err != nil {
						w.showError(err)
						return
					}
					mirrors = append(mirrors, u)
				}
			}
			w.changeSource(func(ctx context.Context) error { return w.deps.Library.SetMirrors(ctx, src.ID, mirrors) })
		}, entry)
}

func (w *Window) removeDialog(src cache.Source) {
	// No default: Enter does not remove.
	w.showConfirm(lang.L("Remove…"), lang.L("Remove…"), lang.L("Cancel"),
		messageLabel(lang.L("Remove {{.Name}} and its saved articles?", map[string]string{"Name": cmp.Or(src.Name, src.URL)})),
		func() {
			w.changeSource(func(ctx context.Context) error { return w.deps.Library.RemoveSource(ctx, src.ID) })
		}, false)
}

// changeSource runs a change in the background, then reads the lists again.
func (w *Window) changeSource(change func(context.Context) error) {
	w.bg.Go(func() {
		err := change(context.Background())
		w.do(func() {
			if err != nil {
				w.showError(err)
			}
			w.reloadSources()
			w.reloadArticles()
		})
	})
}

// NotifySettings keeps which sources' new articles are announced.
type NotifySettings interface {
	NotifySources(ctx context.Context) (map[int64]bool, error)
	SetNotify(ctx context.Context, sourceID int64, on bool) error
}

func (w *Window) loadNotify() {
	if w.deps.Settings == nil {
		return
	}
	w.bg.Go(func() {
		m, err := w.deps.Settings.NotifySources(context.Background())
		w.do(func() {
			if err == nil {
				w.notify = m
			}
		})
	})
}

func (w *Window) setNotify(id int64, on bool) {
	if w.deps.Settings == nil {
		return
	}
	if w.notify == nil {
		w.notify = map[int64]bool{}
	}
	w.notify[id] = on
	w.changeSource(func(ctx context.Context) error { return w.deps.Settings.SetNotify(ctx, id, on) })
}

// announce sends a notification for the new articles of marked sources.
func (w *Window) announce(results []feeds.Result) {
	var parts []string
	total := 0
	for _, r := range results {
		if r.OK && r.New > 0 && w.notify[r.Source.ID] {
			total += r.New
			parts = append(parts, fmt.Sprintf("%s (%d)", cmp.Or(r.Source.Name, r.Source.URL), r.New))
		}
	}
	if total > 0 {
		w.app.SendNotification(fyne.NewNotification(
			lang.L("{{.Count}} new articles", map[string]int{"Count": total}), strings.Join(parts, ", ")))
	}
}

// sourceRows is the sources list's data: "All sources", then each source.
type sourceRows struct{ w *Window }

func (l sourceRows) Length() int { return len(l.w.sources) + 1 }

func (l sourceRows) CreateItem() fyne.CanvasObject { return newSourceRow(l.w.persian) }

func (l sourceRows) UpdateItem(i widget.ListItemID, o fyne.CanvasObject) {
	w := l.w
	row := o.(*sourceRow)
	name, count := row.name, row.count
	if i == 0 || i-1 >= len(w.sources) {
		row.setName(lang.L("All sources"))
		name.Alignment = alignFor(row.nameText)
		row.status.SetText("")
		count.SetText("")
		row.onMenu = nil
		return
	}
	s := w.sources[i-1]
	row.onMenu = func(at fyne.Position) { w.sourceMenu(s, at) }
	row.setName(cmp.Or(s.Name, s.URL))
	name.Alignment = alignFor(row.nameText)
	row.status.Alignment = name.Alignment
	row.status.SetText(w.sourceStatus(s))
	count.SetText(countText(s.Unread, w.persian))
}

// buildSourceList makes the sources pane: "All sources", then each
// source with its status and unread count.
func (w *Window) buildSourceList() {
	rows := sourceRows{w}
	w.sourceList = widget.NewList(rows.Length, rows.CreateItem, rows.UpdateItem)
	w.sourceList.OnSelected = func(i widget.ListItemID) {
		w.query.SourceID = 0
		if i > 0 && i-1 < len(w.sources) {
			s := w.sources[i-1]
			w.query.SourceID = s.ID
			if s.LastVerdict != "" {
				// Say in plain words what stands in the way.
				w.setBadge(VerdictText(s.LastVerdict), "")
			}
		}
		w.reloadArticles()
	}
}

func (w *Window) reloadSources() {
	w.bg.Go(func() {
		srcs, err := w.deps.Library.Sources(context.Background())
		w.do(func() {
			if err != nil {
				w.showError(err)
				return
			}
			w.sources = srcs
			w.sourceList.Refresh()
			w.articleList.Refresh()
			w.selectSource(w.query.SourceID)
		})
	})
}

func (w *Window) sourceName(id int64) string {
	for _, s := range w.sources {
		if s.ID == id {
			return cmp.Or(s.Name, s.URL)
		}
	}
	return ""
}

// sourceStatus is a source's mark: blocked (with the verdict in plain
// words), never updated, stale, or reached through a proxy or mirror.
func (w *Window) sourceStatus(s cache.Source) string {
	switch {
	case s.LastVerdict != "":
		return "⚠ " + lang.L("blocked")
	case s.LastOK.IsZero():
		return "· " + lang.L("never updated")
	case time.Since(s.LastOK) > 6*time.Hour:
		return "· " + lang.L("updated {{.Hours}} h ago", map[string]int{"Hours": int(time.Since(s.LastOK).Hours())})
	}
	// How it came, when not directly from its own address: the proxy,
	// the mirror (or bridge), or both.
	var via []string
	if feeds.IsProxyRoute(s.LastRoute) || s.LastRoute == transport.RouteTor {
		via = append(via, s.LastRoute)
	}
	if len(via) > 0 {
		via[0] = "↪ " + via[0]
	}
	// Marks and addresses only: a translated word beside a Latin address
	// would be one mixed run (the help dialog explains the marks).
	if s.LastURL != "" && s.LastURL != s.URL {
		host := s.LastURL
		if u, err := url.Parse(s.LastURL); err == nil && u.Host != "" {
			host = u.Host
		}
		via = append(via, "⇄ "+host)
	}
	if len(via) > 0 {
		return strings.Join(via, "  ")
	}
	return "✓"
}

// VerdictText says a verdict in plain words.
func VerdictText(v string) string {
	key := "verdict." + v
	if t := lang.L(key); t != key {
		return t
	}
	return lang.L("verdict.other")
}

func countText(n int, persian bool) string {
	if n == 0 {
		return ""
	}
	return numberText(n, persian)
}

// selectSource shows id chosen in the sources list (the source the window
// was closed with), without reading the articles again; 0 or a source no
// longer followed: all sources.
func (w *Window) selectSource(id int64) {
	for i, s := range w.sources {
		if s.ID == id {
			if w.sourceList.OnSelected != nil {
				w.sourceList.Select(i + 1)
			}
			return
		}
	}
	if id != 0 {
		w.query.SourceID = 0
		w.reloadArticles()
	}
}
