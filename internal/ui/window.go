package ui

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/assets"
	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// Library is what the window reads from (and marks in) the cache.
type Library interface {
	Sources(ctx context.Context) ([]cache.Source, error)
	Articles(ctx context.Context, q cache.Query) ([]cache.Summary, error)
	Article(ctx context.Context, id int64) (cache.Article, error)
	Media(ctx context.Context, url string) (cache.Media, error)
	SetRead(ctx context.Context, id int64, read bool) error
	SetStarred(ctx context.Context, id int64, starred bool) error
	RenameSource(ctx context.Context, id int64, name string) error
	RemoveSource(ctx context.Context, id int64) error
	SetMirrors(ctx context.Context, id int64, mirrors []string) error
}

// Deps are what the window works with: the cache, and the actions that
// use the network, run by the command line's own refresher and client.
type Deps struct {
	Library Library
	// Refresh refreshes every source, reporting progress; an error says
	// why it could not start.
	Refresh func(ctx context.Context, progress func(feeds.Progress)) (app.Report, error)
	// Probe says whether the network answers again, after a refresh found
	// it offline: cheap, so the schedule asks it often then.
	Probe func(ctx context.Context) bool
	// AddSource adds what the reader typed (a URL, @channel, instagram:NAME…).
	AddSource func(ctx context.Context, input string, o app.AddOptions) (app.Added, error)
	// Interval is the time between background refreshes; 0: none.
	Interval time.Duration
	// OpenFirst opens the newest article once the list is read (for
	// screenshots and demos).
	OpenFirst bool
	// Settings reads and changes the connection settings.
	Settings ConnectionSettings
	// FullText fetches an article's page and keeps its full text.
	FullText func(ctx context.Context, articleID int64, pageURL string) error
	// Storage reads and changes retention and the media budget.
	Storage StorageSettings
	// Notify keeps the sources whose new articles are announced (none by
	// default).
	Notify NotifySettings
	// ImportOPML adds the sources of an OPML file, all or none;
	// ExportOPML writes every source as OPML, mirrors included.
	ImportOPML func(ctx context.Context, r io.Reader) (added, listed int, err error)
	ExportOPML func(ctx context.Context, w io.Writer) (int, error)
	// Reading is the theme and text size to start with; SaveReading keeps
	// a change.
	Reading     Reading
	SaveReading func(ctx context.Context, r Reading) error
	// Tray asks for a tray icon. On Linux the tray needs a D-Bus session:
	// without one Fyne's systray crashes as the app quits.
	Tray bool
	// FirstRun, when set, shows the welcome before the main window.
	FirstRun *FirstRun
	// ImportBundle adds the sources and articles of a file of saved news
	// (kabootar bundle export); nil hides it.
	ImportBundle func(ctx context.Context, r io.Reader) (cache.BundleStats, error)
	// ExportBundle writes saved news (opt chooses what), images included.
	ExportBundle func(ctx context.Context, w io.Writer, opt cache.BundleOptions) (cache.BundleStats, error)
}

// pageSize is how many list rows are read from the cache at a time.
const pageSize = 200

// Window is Kabootar's main window.
type Window struct {
	app  fyne.App
	win  fyne.Window
	deps Deps

	// Read and written on the Fyne thread only.
	sources    []cache.Source
	articles   []cache.Summary
	query      cache.Query
	more       bool // the list may go on past what is loaded
	loading    bool
	selected   int64
	refreshing context.CancelFunc

	sourceList   *widget.List
	articleList  *widget.List
	reader       *widget.RichText
	readerScroll *container.Scroll
	readerTitle  *widget.Label
	readerMeta   *fyne.Container
	openButton   *widget.Button
	fullButton   *widget.Button
	badge        *widget.Label
	badgeDetail  *widget.Label // the proxy's address, apart from the words
	badgeBox     *fyne.Container
	progress     *widget.ProgressBar
	refreshBtn   *widget.Button
	search       *widget.Entry
	filter       *widget.RadioGroup
	current      *cache.Article
	reading      Reading
	notify       map[int64]bool // sources whose new articles are announced
	firstRefresh bool           // the refresh after the welcome
	interval     time.Duration  // between background refreshes; 0: none
	lastRefresh  time.Time      // when the last refresh started
	toldNothing  bool           // "nothing came through" was said
	offline      bool           // the last refresh found the network offline
	probing      bool           // a probe runs

	searchMu    sync.Mutex
	searchTimer *time.Timer

	// bg counts the window's background work, so that a test can wait for
	// the window to be still.
	bg sync.WaitGroup

	// mu keeps the window's updates one at a time. fyne.Do already runs
	// them one at a time on the Fyne thread; Fyne's test driver runs each
	// on the caller's goroutine, and there they could overlap.
	mu sync.Mutex
}

// Wait waits until the window's background work is done (for tests and an
// orderly shutdown).
func (w *Window) Wait() { w.bg.Wait() }

// do runs f on the Fyne thread, after any update already running.
func (w *Window) do(f func()) {
	fyne.Do(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		f()
	})
}

// LoadTranslations adds Kabootar's English and Persian strings to Fyne's
// translator; the window follows the system's language.
func LoadTranslations() error {
	return lang.AddTranslationsFS(assets.Lang, "lang")
}

// New builds the window on app. Nothing is read yet: call Start.
func New(app fyne.App, deps Deps) *Window {
	app.Settings().SetTheme(newTheme(deps.Reading))
	if deps.Reading.Scale <= 0 {
		deps.Reading.Scale = 1
	}
	if deps.Reading.Theme == "" {
		deps.Reading.Theme = "system"
	}
	w := &Window{app: app, deps: deps, win: app.NewWindow("Kabootar"), reading: deps.Reading, interval: deps.Interval}
	icon := fyne.NewStaticResource("kabootar.png", assets.Icon)
	w.win.SetIcon(icon)
	w.build()
	// A tray icon, where the desktop offers one (Fyne adds Quit).
	if desk, ok := app.(desktop.App); ok && deps.Tray {
		desk.SetSystemTrayIcon(icon)
		desk.SetSystemTrayMenu(fyne.NewMenu("Kabootar",
			fyne.NewMenuItem(lang.L("Show Kabootar"), func() { w.win.Show() }),
			fyne.NewMenuItem(lang.L("Refresh"), func() {
				if w.refreshing == nil {
					w.startRefresh()
				}
			})))
	}
	w.win.Resize(fyne.NewSize(1200, 760))
	return w
}

// Window is the Fyne window, to show.
func (w *Window) Window() fyne.Window { return w.win }

func (w *Window) build() {
	w.sourceList = widget.NewList(
		func() int { return len(w.sources) + 1 },
		func() fyne.CanvasObject { return newSourceRow() },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*sourceRow)
			name, count := row.name, row.count
			if i == 0 {
				name.SetText(lang.L("All sources"))
				name.Alignment = alignFor(name.Text)
				row.status.SetText("")
				count.SetText("")
				row.onMenu = nil
				return
			}
			s := w.sources[i-1]
			row.onMenu = func(at fyne.Position) { w.sourceMenu(s, at) }
			name.SetText(cmp.Or(s.Name, s.URL))
			name.Alignment = alignFor(name.Text)
			row.status.Alignment = name.Alignment
			row.status.SetText(w.sourceStatus(s))
			count.SetText(countText(s.Unread))
		})
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
	readerPane := container.NewBorder(container.NewVBox(w.readerTitle, w.readerMeta), container.NewHBox(w.openButton, w.fullButton), nil, nil,
		w.readerScroll)

	w.refreshBtn = widget.NewButton(lang.L("Refresh"), w.refreshOrCancel)
	w.progress = widget.NewProgressBar()
	w.progress.Hide()
	w.search = widget.NewEntry()
	w.search.SetPlaceHolder(lang.L("Search"))
	w.search.OnChanged = w.searchChanged
	w.filter = widget.NewRadioGroup([]string{lang.L("All"), lang.L("Unread"), lang.L("Starred")}, nil)
	w.filter.Horizontal = true
	w.filter.SetSelected(lang.L("All"))
	// Set after the first selection: building reads nothing; Start does.
	w.filter.OnChanged = func(v string) {
		w.query.Unread = v == lang.L("Unread")
		w.query.Starred = v == lang.L("Starred")
		w.reloadArticles()
	}
	add := widget.NewButton(lang.L("Add source"), w.addSourceDialog)
	settings := widget.NewButton(lang.L("Settings"), w.showSettings)
	help := widget.NewButton("?", w.showHelp)
	w.badge = widget.NewLabel("")
	w.badgeDetail = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	w.badgeBox = container.NewHBox(w.badge, w.badgeDetail)
	toolbar := container.NewBorder(nil, nil, container.NewHBox(w.refreshBtn, add, settings, help, w.filter), w.badgeBox,
		container.NewVBox(w.search, w.progress))

	lists := container.NewHSplit(w.sourceList, w.articleList)
	lists.Offset = 0.35
	main := container.NewHSplit(lists, readerPane)
	main.Offset = 0.5
	w.win.SetContent(container.NewBorder(toolbar, nil, nil, nil, main))

	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.showSettings() })
	w.win.Canvas().SetOnTypedRune(func(r rune) {
		if w.win.Canvas().Focused() != nil {
			return // typing in the search box
		}
		switch r {
		case ' ':
			w.page()
		case 'j':
			w.move(1)
		case 'k':
			w.move(-1)
		case 'm':
			w.toggleRead()
		case 's':
			w.toggleStar()
		case 'r':
			w.refreshOrCancel()
		case '/':
			w.win.Canvas().Focus(w.search)
		case 'o':
			w.openOriginal()
		case '?':
			w.showHelp()
		}
	})
}

// Start reads the sources and the first page of articles, in the
// background, and starts the refresh schedule.
func (w *Window) Start(ctx context.Context) {
	if w.deps.FirstRun != nil {
		w.showWelcome(ctx)
		return
	}
	w.startMain(ctx)
}

func (w *Window) startMain(ctx context.Context) {
	w.loadNotify()
	w.reloadSources()
	w.reloadArticles()
	// The schedule: checked often, so that a new interval in the settings
	// counts at once; never while a refresh runs.
	tick := 30 * time.Second
	if w.deps.Interval > 0 && w.deps.Interval < tick {
		tick = w.deps.Interval
	}
	w.lastRefresh = time.Now()
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.do(func() {
					switch {
					case w.refreshing != nil:
					case w.offline && w.deps.Probe != nil && !w.probing:
						// Offline: a cheap probe each tick, and the news as
						// soon as the network is back.
						w.probing = true
						w.bg.Go(func() {
							pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
							back := w.deps.Probe(pctx)
							cancel()
							w.do(func() {
								w.probing = false
								if back && w.refreshing == nil {
									w.startRefresh()
								}
							})
						})
					case w.interval > 0 && time.Since(w.lastRefresh) >= w.interval:
						w.startRefresh()
					}
				})
			}
		}
	}()
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
		})
	})
}

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
			if w.deps.OpenFirst && w.selected == 0 && len(list) > 0 {
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
			for _, p := range []string{w.sourceName(a.SourceID), a.Published.Local().Format("2006-01-02 15:04"), a.Author} {
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
			if a.URL != "" && w.deps.FullText != nil {
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
	dialog.ShowConfirm(lang.L("Open original"), lang.L("Opening the original uses your system browser, which does not use Kabootar's routes or proxy."),
		func(ok bool) {
			if ok {
				w.app.OpenURL(u)
			}
		}, w.win)
}

// showHelp lists the keyboard shortcuts.
func (w *Window) showHelp() {
	keys := [][2]string{{"j / k", "Next / previous article"}, {"space", "Page down, then the next article"}, {"m", "Read / unread"},
		{"s", "Star"}, {"r", "Refresh"}, {"/", "Search"}, {"o", "Open original"}, {"Ctrl+,", "Settings"}, {"?", "This help"}}
	grid := container.NewGridWithColumns(2)
	for _, k := range keys {
		grid.Add(widget.NewLabelWithStyle(k[0], fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
		grid.Add(textLabel(lang.L(k[1])))
	}
	// The marks of the sources list.
	marks := [][2]string{{"✓", lang.L("Came directly, up to date")}, {"↪", lang.L("Came through this proxy")},
		{"⇄", lang.L("Came from this mirror or bridge")}, {"⚠", lang.L("Blocked: choose the source to see why")},
		{"·", lang.L("Not updated lately")}}
	for _, m := range marks {
		grid.Add(widget.NewLabel(m[0]))
		grid.Add(widget.NewLabel(m[1]))
	}
	dialog.ShowCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), grid, w.win)
}

// getFullText fetches the article's page through Kabootar's routes,
// keeps its text and images, and shows it.
func (w *Window) getFullText() {
	if w.current == nil || w.deps.FullText == nil {
		return
	}
	id, page := w.current.ID, w.current.URL
	w.fullButton.Disable()
	w.bg.Go(func() {
		err := w.deps.FullText(context.Background(), id, page)
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

func (w *Window) refreshOrCancel() {
	if w.refreshing != nil {
		w.refreshing()
		return
	}
	w.startRefresh()
}

// startRefresh refreshes in the background, with progress; on the Fyne
// thread.
func (w *Window) startRefresh() {
	if w.deps.Refresh == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.refreshing = cancel
	w.lastRefresh = time.Now()
	w.refreshBtn.SetText(lang.L("Cancel"))
	w.progress.SetValue(0)
	w.progress.Show()
	w.bg.Go(func() {
		rep, err := w.deps.Refresh(ctx, func(p feeds.Progress) {
			w.do(func() {
				w.progress.Max = float64(p.Total)
				w.progress.SetValue(float64(p.Done))
				if p.Result.Offline {
					// Said at once: the rest is not tried.
					w.setBadge(badgeFor([]feeds.Result{p.Result}, w.lastOK()))
				} else {
					w.setBadge(lang.L("Refreshing {{.Done}} of {{.Total}}", map[string]int{"Done": p.Done, "Total": p.Total}), "")
				}
				// With nothing to read yet (a first run), the news shows as
				// each source brings it, not when the slowest is done. A
				// list being read is left alone until the end.
				if p.Result.New > 0 && len(w.articles) == 0 && !w.loading {
					w.reloadSources()
					w.reloadArticles()
				}
			})
		})
		results := rep.Results
		w.do(func() {
			cancel()
			w.refreshing = nil
			w.refreshBtn.SetText(lang.L("Refresh"))
			w.progress.Hide()
			if err != nil {
				// A bad setting or an unreadable cache: said, not silent.
				w.setBadge(lang.L("The refresh could not start"), "")
				w.showError(err)
				return
			}
			w.setBadge(badgeFor(results, w.lastOK()))
			w.offline = rep.Offline
			if nothingEver(results) && (w.firstRefresh || !w.toldNothing) {
				w.toldNothing = true
				w.nothingCame(results)
			}
			w.firstRefresh = false
			w.announce(results)
			w.reloadSources()
			w.reloadArticles()
		})
	})
}

// nothingEver: no source came through, now or ever before.
func nothingEver(results []feeds.Result) bool {
	for _, r := range results {
		if r.OK || !r.Source.LastOK.IsZero() {
			return false
		}
	}
	return len(results) > 0
}

// lastOK is when a source last refreshed, for the offline badge.
func (w *Window) lastOK() time.Time {
	var t time.Time
	for _, s := range w.sources {
		if s.LastOK.After(t) {
			t = s.LastOK
		}
	}
	return t
}

// badgeFor says how the news came: directly, through a proxy or mirror,
// or not at all; detail is the proxy's address, shown apart (a Latin
// address inside a Persian sentence would be misordered).
func badgeFor(results []feeds.Result, lastOK time.Time) (text, detail string) {
	if len(results) == 0 {
		return "", ""
	}
	ok, proxy, mirror := 0, "", false
	for _, r := range results {
		if !r.OK {
			continue
		}
		ok++
		if feeds.IsProxyRoute(r.Route) {
			proxy = r.Route
		}
		if r.URLUsed != "" && r.URLUsed != r.Source.URL {
			mirror = true
		}
	}
	switch {
	case ok == 0 && !lastOK.IsZero():
		return lang.L("Offline — showing saved news from {{.Time}}", map[string]string{"Time": lastOK.Local().Format("2006-01-02 15:04")}), ""
	case ok == 0:
		return lang.L("Offline — showing saved news"), ""
	case proxy != "":
		return lang.L("Via proxy"), proxy
	case mirror:
		return lang.L("Via mirror"), ""
	}
	return lang.L("Direct"), ""
}

// setBadge says how the news came, the address (if any) in a label of its
// own, on the side the language reads from.
func (w *Window) setBadge(text, detail string) {
	w.badge.SetText(text)
	w.badgeDetail.SetText(detail)
	box := w.badgeBox
	if alignFor(text) == fyne.TextAlignTrailing {
		box.Objects = []fyne.CanvasObject{w.badgeDetail, w.badge}
	} else {
		box.Objects = []fyne.CanvasObject{w.badge, w.badgeDetail}
	}
	box.Refresh()
}

func (w *Window) addSourceDialog() {
	entry := widget.NewEntry()
	entry.SetPlaceHolder(lang.L("URL, @channel, instagram:NAME or x:NAME"))
	items := []*widget.FormItem{widget.NewFormItem("", entry)}
	if w.deps.ImportOPML != nil && w.deps.ExportOPML != nil {
		items = append(items, widget.NewFormItem("OPML", container.NewHBox(
			widget.NewButton(lang.L("Import OPML…"), w.importOPML),
			widget.NewButton(lang.L("Export OPML…"), w.exportOPML))))
	}
	dialog.ShowForm(lang.L("Add source"), lang.L("Add"), lang.L("Cancel"), items,
		func(ok bool) {
			if ok && strings.TrimSpace(entry.Text) != "" {
				w.addSource(entry.Text)
			}
		}, w.win)
}

// importOPML adds the sources of a file the reader picks.
func (w *Window) importOPML() {
	w.importFile(func(ctx context.Context, r io.Reader) (int, error) {
		n, _, err := w.deps.ImportOPML(ctx, r)
		return n, err
	}, func(n int) string {
		return lang.L("Imported {{.Count}} sources.", map[string]int{"Count": n})
	}, lang.L("Import OPML…"))
}

// importBundle adds a file of saved news the reader picks.
func (w *Window) importBundle() {
	w.importFile(func(ctx context.Context, r io.Reader) (int, error) {
		st, err := w.deps.ImportBundle(ctx, r)
		return st.Articles, err
	}, func(n int) string {
		return lang.L("Imported {{.Count}} articles.", map[string]int{"Count": n})
	}, lang.L("Import saved news…"))
}

// importFile reads a file the reader picks with read, in the background,
// says what it added, and shows the sources and articles anew.
func (w *Window) importFile(read func(context.Context, io.Reader) (int, error), said func(n int) string, title string) {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		w.bg.Go(func() {
			defer r.Close()
			n, err := read(context.Background(), r)
			w.do(func() {
				if err != nil {
					w.showError(err)
					return
				}
				dialog.ShowInformation(title, said(n), w.win)
				w.reloadSources()
				w.reloadArticles()
			})
		})
	}, w.win)
}

// exportBundle writes the saved news to a file the reader picks.
func (w *Window) exportBundle() {
	save := dialog.NewFileSave(func(wr fyne.URIWriteCloser, err error) {
		if err != nil || wr == nil {
			return
		}
		w.bg.Go(func() {
			st, err := w.deps.ExportBundle(context.Background(), wr, cache.BundleOptions{})
			n := st.Articles
			if cerr := wr.Close(); err == nil {
				err = cerr
			}
			w.do(func() {
				if err != nil {
					w.showError(err)
					return
				}
				dialog.ShowInformation(lang.L("Export saved news…"), lang.L("Exported {{.Count}} articles.", map[string]int{"Count": n}), w.win)
			})
		})
	}, w.win)
	save.SetFileName("kabootar-news-" + time.Now().Format("2006-01-02") + ".zip")
	save.Show()
}

// exportOPML writes the sources to a file the reader picks.
func (w *Window) exportOPML() {
	dialog.ShowFileSave(func(wr fyne.URIWriteCloser, err error) {
		if err != nil || wr == nil {
			return
		}
		w.bg.Go(func() {
			_, err := w.deps.ExportOPML(context.Background(), wr)
			if cerr := wr.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				w.do(func() { w.showError(err) })
			}
		})
	}, w.win)
}

// addSource adds a source in the background.
func (w *Window) addSource(input string) {
	if w.deps.AddSource == nil {
		return
	}
	w.bg.Go(func() {
		added, err := w.deps.AddSource(context.Background(), input, app.AddOptions{})
		if err == nil {
			err = added.Unreachable // added, and said: it did not answer now
		}
		w.do(func() {
			if err != nil {
				w.showError(err)
			}
			w.reloadSources()
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
	if feeds.IsProxyRoute(s.LastRoute) {
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

func countText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}
