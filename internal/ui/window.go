package ui

import (
	"context"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/assets"
	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

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
	more       bool             // the list may go on past what is loaded
	dialogs    []openDialog     // open, the top last
	lists      *container.Split // the sources and the articles
	main       *container.Split // those and the reader
	persian    bool             // the window speaks Persian: Solar Hijri dates, Persian digits, mirrored
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
	notify       map[int64]bool  // sources whose new articles are announced
	firstRefresh bool            // the refresh after the welcome
	interval     time.Duration   // between background refreshes; 0: none
	lastRefresh  time.Time       // when the last refresh started
	toldNothing  bool            // "nothing came through" was said
	offline      bool            // the last refresh found the network offline
	probing      bool            // a probe runs
	asked        map[string]bool // bundles of the shared folder the reader was asked about

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
	app.Settings().SetTheme(newTheme(deps.Options.Reading))
	if deps.Options.Reading.Scale <= 0 {
		deps.Options.Reading.Scale = 1
	}
	if deps.Options.Reading.Theme == "" {
		deps.Options.Reading.Theme = "system"
	}
	w := &Window{app: app, deps: deps, win: app.NewWindow("Kabootar"), reading: deps.Options.Reading, interval: deps.Options.Interval,
		asked: map[string]bool{}}
	icon := fyne.NewStaticResource("kabootar.png", assets.Icon)
	w.win.SetIcon(icon)
	w.build()
	// A tray icon, where the desktop offers one (Fyne adds Quit).
	if desk, ok := app.(desktop.App); ok && deps.Options.Tray {
		desk.SetSystemTrayIcon(icon)
		desk.SetSystemTrayMenu(fyne.NewMenu("Kabootar",
			fyne.NewMenuItem(lang.L("Show Kabootar"), func() { w.win.Show() }),
			fyne.NewMenuItem(lang.L("Refresh"), func() {
				if w.refreshing == nil {
					w.startRefresh()
				}
			})))
	}
	size := fyne.NewSize(1200, 760)
	if st := deps.Options.Window; st.Width >= 400 && st.Height >= 300 {
		size = fyne.NewSize(st.Width, st.Height)
	}
	w.win.Resize(size)
	w.query.SourceID = deps.Options.Window.SourceID
	w.win.SetOnClosed(w.saveState)
	return w
}

// Window is the Fyne window, to show.
func (w *Window) Window() fyne.Window { return w.win }

func (w *Window) build() {
	w.persian = persianWindow()
	w.buildSourceList()
	w.buildArticleList()
	readerPane := w.buildReader()
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
	buttons := []fyne.CanvasObject{w.refreshBtn, add, settings, help, w.filter}
	var toolbar fyne.CanvasObject
	var main *container.Split
	if w.persian {
		// Mirrored, as Persian apps are: the toolbar from the right with
		// the search towards the left, the sources at the right edge, the
		// reader at the left.
		slices.Reverse(buttons)
		toolbar = container.NewBorder(nil, nil, w.badgeBox, container.NewHBox(buttons...), container.NewVBox(w.search, w.progress))
		lists := container.NewHSplit(w.articleList, w.sourceList)
		lists.Offset = 0.65
		w.lists = lists
		main = container.NewHSplit(readerPane, lists)
	} else {
		toolbar = container.NewBorder(nil, nil, container.NewHBox(buttons...), w.badgeBox, container.NewVBox(w.search, w.progress))
		lists := container.NewHSplit(w.sourceList, w.articleList)
		lists.Offset = 0.35
		w.lists = lists
		main = container.NewHSplit(lists, readerPane)
	}
	main.Offset = 0.5
	if st := w.deps.Options.Window; st.Lists > 0 && st.Main > 0 {
		w.lists.Offset, main.Offset = w.offsets(st.Lists, st.Main)
	}
	w.main = main
	w.win.SetContent(container.NewBorder(toolbar, nil, nil, nil, main))
	w.bindKeys()
}

// Start reads the sources and the first page of articles, in the
// background, and starts the refresh schedule.
func (w *Window) Start(ctx context.Context) {
	if w.deps.Options.FirstRun != nil {
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
	if w.deps.Options.Interval > 0 && w.deps.Options.Interval < tick {
		tick = w.deps.Options.Interval
	}
	w.lastRefresh = time.Now()
	go w.schedule(ctx, tick)
	if w.deps.Sharing != nil {
		go w.watchShare(ctx, 15*time.Second)
	}
	if w.deps.Options.RefreshAtStart {
		go w.do(w.startRefresh) // once the loop runs
	}
	if w.deps.Options.OpenSettings {
		w.showSettings()
	}
}

// persianWindow says the window speaks Persian: its translations read
// right to left.
func persianWindow() bool { return feeds.Direction(lang.L("Refresh")) == "rtl" }

// saveState keeps the window's size, panes and source for the next start.
func (w *Window) saveState() {
	if w.deps.Settings == nil || w.main == nil {
		return
	}
	size := w.win.Canvas().Size()
	lists, main := w.offsets(w.lists.Offset, w.main.Offset)
	st := app.WindowState{Width: size.Width, Height: size.Height, Lists: lists, Main: main, SourceID: w.query.SourceID}
	w.bg.Go(func() {
		if err := w.deps.Settings.SaveWindow(context.Background(), st); err != nil {
			fyne.LogError("saving the window's state", err)
		}
	})
}

// offsets turns the panes' shares as stored (the sources' share of the
// lists, the lists' share of the window, from the reading side) into the
// splits' offsets, and back: the same, mirrored in Persian, so that a
// window closed in one language opens right in the other.
func (w *Window) offsets(lists, main float64) (float64, float64) {
	if w.persian {
		return 1 - lists, 1 - main
	}
	return lists, main
}
