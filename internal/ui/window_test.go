package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/app"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

func testStore(t *testing.T) (*cache.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st, err := cache.Open(ctx, filepath.Join(t.TempDir(), cache.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	id, _ := st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://news.example/feed", Name: "News"})
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	_, err = st.SaveFetch(ctx, id, &cache.Fetched{Articles: []cache.Article{
		{GUID: "1", Title: "Shutdown in the provinces", Text: "Connectivity fell.", HTML: "<p>Connectivity fell.</p>", Published: day, URL: "https://news.example/1"},
		{GUID: "2", Title: "اعتراض در تهران", Text: "متن خبر", HTML: `<p>متن خبر با <a href="https://news.example/2">پیوند</a></p>`, Published: day.Add(time.Hour), Dir: "rtl"},
		{GUID: "3", Title: "Weather", Text: "Rain.", HTML: "<p>Rain.</p>", Published: day.Add(-time.Hour)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return st, id
}

// locked runs f while no update of the window runs: Fyne's test driver
// runs fyne.Do on the calling goroutine, so the test takes its turn too.
func locked(w *Window, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

// eventually waits for cond, which the window's goroutines make true.
func eventually(t *testing.T, w *Window, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		ok := false
		locked(w, func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWindowReadSearchMark(t *testing.T) {
	a := test.NewTempApp(t)
	st, _ := testStore(t)
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the article list", func() bool { return len(w.articles) == 3 && len(w.sources) == 1 })
	if w.articles[0].Title != "اعتراض در تهران" {
		t.Errorf("not newest first: %q", w.articles[0].Title)
	}

	// Select and read the Persian article: the reader shows it, right-aligned.
	locked(w, func() { w.articleList.Select(0) })
	eventually(t, w, "the reader", func() bool { return w.readerTitle.Text == "اعتراض در تهران" })
	if w.readerTitle.Alignment != alignFor("اعتراض در تهران") || !strings.Contains(w.reader.String(), "متن خبر با پیوند") {
		t.Errorf("reader: %q aligned %v", w.reader.String(), w.readerTitle.Alignment)
	}
	eventually(t, w, "marked read", func() bool {
		art, _ := st.Article(context.Background(), w.articles[0].ID)
		return art.Read
	})

	// m toggles read; s stars.
	locked(w, func() { test.TypeOnCanvas(w.win.Canvas(), "s") })
	eventually(t, w, "starred", func() bool {
		art, _ := st.Article(context.Background(), w.current.ID)
		return art.Starred
	})

	// Search as you type, Persian-normalised (Arabic keyboard's yeh/kaf).
	locked(w, func() { test.Type(w.search, "تهران") })
	eventually(t, w, "search results", func() bool { return len(w.articles) == 1 && w.articles[0].Title == "اعتراض در تهران" })
	locked(w, func() { w.search.SetText("") })
	eventually(t, w, "all again", func() bool { return len(w.articles) == 3 })

	// The unread filter.
	locked(w, func() { w.filter.SetSelected("Unread") })
	eventually(t, w, "unread only", func() bool { return len(w.articles) == 2 })
}

func TestWindowRefreshAndOffline(t *testing.T) {
	a := test.NewTempApp(t)
	st, id := testStore(t)
	src, _ := st.Source(context.Background(), id)
	offline := []feeds.Result{{Source: src, Err: errors.New("no route"), Verdict: transport.VerdictTCPTimeout}}
	calls := 0
	w := New(a, Deps{Library: st, Actions: &fakeActions{refresh: results(func(ctx context.Context, progress func(feeds.Progress)) []feeds.Result {
		calls++
		progress(feeds.Progress{Done: 1, Total: 1})
		if calls == 1 {
			return offline
		}
		return []feeds.Result{{Source: src, OK: true, Route: "socks5://127.0.0.1:9050", URLUsed: src.URL}}
	})}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 })
	locked(w, func() { test.Tap(w.refreshBtn) })
	eventually(t, w, "the offline badge", func() bool { return strings.HasPrefix(w.badge.Text, "Offline") })
	locked(w, func() {
		if !strings.Contains(w.badge.Text, "from") {
			t.Errorf("the offline badge does not say from when: %q", w.badge.Text)
		}
	})
	locked(w, func() {
		if len(w.articles) != 3 {
			t.Errorf("saved news not shown offline: %d", len(w.articles))
		}
	})
	locked(w, func() { test.Tap(w.refreshBtn) })
	eventually(t, w, "the proxy badge", func() bool {
		return w.badge.Text == "Via proxy" && w.badgeDetail.Text == "socks5://127.0.0.1:9050"
	})
}

func TestWindowAddSource(t *testing.T) {
	a := test.NewTempApp(t)
	st, _ := testStore(t)
	var added string
	w := New(a, Deps{Library: st, Actions: &fakeActions{addSource: func(ctx context.Context, input string, _ app.AddOptions) (app.Added, error) {
		added = input
		_, err := st.AddSource(ctx, cache.Source{Kind: cache.KindTelegram, URL: "https://t.me/s/azadinews", Name: "آزادی"})
		return app.Added{}, err
	}}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	locked(w, func() { w.addSource("@azadinews") })
	eventually(t, w, "the new source", func() bool { return len(w.sources) == 2 })
	if added != "@azadinews" {
		t.Errorf("added %q", added)
	}
}

func TestVerdictText(t *testing.T) {
	test.NewTempApp(t)
	LoadTranslations()
	if got := VerdictText("dns-bogon"); !strings.Contains(got, "blocked") {
		t.Errorf("dns-bogon: %q", got)
	}
	if got := VerdictText("something-new"); got == "verdict.something-new" {
		t.Errorf("unknown verdict shown raw: %q", got)
	}
}

type fakeConnection struct {
	conn   Connection
	saved  *Connection
	tested string // the target of the last test
	reject error  // SetConnection's answer, when set
}

func (f *fakeConnection) Connection(context.Context) (Connection, error) { return f.conn, nil }
func (f *fakeConnection) SetConnection(_ context.Context, c Connection) error {
	if f.reject != nil {
		return f.reject
	}
	f.saved = &c
	return nil
}
func (f *fakeConnection) TestConnection(_ context.Context, target string) ([]RouteCheck, error) {
	f.tested = target
	return []RouteCheck{{Route: "direct", Verdict: "dns-bogon"}, {Route: "split", Verdict: "tls-reset"},
		{Route: "front:cdn.example", Verdict: "front-cert-invalid"}, {Route: "socks5://127.0.0.1:9050", OK: true, Elapsed: 120 * time.Millisecond}}, nil
}

func TestSettingsChangeMode(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	fc := &fakeConnection{conn: Connection{Mode: "auto", Proxies: []string{"socks5://u:***@127.0.0.1:9050"}, DoH: true,
		Tactics: true, Fronts: []string{"news.example=cdn.example"}}}
	w := New(a, Deps{Library: st, Settings: &fakeSettings{conn: fc}})
	t.Cleanup(w.Wait)
	var f *settingsForm
	locked(w, func() {
		f = w.settingsDialog(fc, fc.conn, Storage{}, nil)
		test.Tap(f.test)
	})
	checks := func() string {
		var b strings.Builder
		for _, o := range f.checks.Objects {
			b.WriteString(o.(*widget.Label).Text + "|")
		}
		return b.String()
	}
	eventually(t, w, "the test results", func() bool { return strings.Contains(checks(), "works") })
	// Each route a row: the route and its verdict's code | what it is and
	// how it fared, in words.
	if got := checks(); !strings.Contains(got, "direct · dns-bogon|A direct connection\nThis site is blocked") ||
		!strings.Contains(got, "split · tls-reset|Direct, the hello split in two packets so that a filter misses the site's name\nYour network cuts secure connections") ||
		!strings.Contains(got, "front:cdn.example · front-cert-invalid|Through a front: your network sees only cdn.example\nThe front's certificate is not valid") ||
		!strings.Contains(got, "socks5://127.0.0.1:9050|Your proxy\nworks, 120 ms|") {
		t.Errorf("results: %q", got)
	}
	locked(w, func() {
		f.language.SetSelectedIndex(2) // فارسی
		f.theme.SetSelectedIndex(2)    // dark
		f.size.SetSelectedIndex(1)     // large
		f.mode.SetSelected("Proxy only (strict)")
		f.doh.SetChecked(false)
		if !f.tactics.Checked || f.ech.Checked || f.fronts.Text != "news.example=cdn.example" {
			t.Errorf("shown: tactics %v, ECH %v, fronts %q", f.tactics.Checked, f.ech.Checked, f.fronts.Text)
		}
		f.tactics.SetChecked(false)
		f.ech.SetChecked(true)
		f.fronts.SetText("news.example=cdn.example@192.0.2.7\n\nother.example=cdn.example")
		f.save()
	})
	eventually(t, w, "the saved settings", func() bool { return fc.saved != nil })
	if fc.saved.Mode != "proxy" || fc.saved.DoH || len(fc.saved.Proxies) != 1 || fc.saved.Proxies[0] != "socks5://u:***@127.0.0.1:9050" {
		t.Errorf("saved %+v", fc.saved)
	}
	if fc.saved.Tactics || !fc.saved.ECH || strings.Join(fc.saved.Fronts, ",") != "news.example=cdn.example@192.0.2.7,other.example=cdn.example" {
		t.Errorf("saved the ways through: tactics %v, ECH %v, fronts %q", fc.saved.Tactics, fc.saved.ECH, fc.saved.Fronts)
	}
	locked(w, func() {
		if w.reading != (Reading{Theme: "dark", Scale: 1.15, Language: "fa"}) {
			t.Errorf("reading %+v", w.reading)
		}
		if a.Settings().Theme().Size(theme.SizeNameText) != theme.DefaultTheme().Size(theme.SizeNameText)*1.15 {
			t.Error("the larger text size was not applied")
		}
	})
}

func TestGetFullText(t *testing.T) {
	a := test.NewTempApp(t)
	st, _ := testStore(t)
	var fetched string
	w := New(a, Deps{Library: st, Actions: &fakeActions{fullText: func(ctx context.Context, id int64, page string) error {
		fetched = page
		return st.SetArticleContent(ctx, id, "<p>The whole story, at length.</p>", "The whole story, at length.")
	}}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the list", func() bool { return len(w.articles) == 3 })
	// The English shutdown story, which has a page.
	locked(w, func() {
		for i, ar := range w.articles {
			if ar.Title == "Shutdown in the provinces" {
				w.articleList.Select(i)
			}
		}
	})
	eventually(t, w, "the button", func() bool { return w.current != nil && !w.fullButton.Disabled() })
	locked(w, func() { test.Tap(w.fullButton) })
	eventually(t, w, "the full text", func() bool { return strings.Contains(w.reader.String(), "The whole story") })
	if fetched != "https://news.example/1" {
		t.Errorf("fetched %q", fetched)
	}
}

func TestSourceMenuRenameRemove(t *testing.T) {
	a := test.NewTempApp(t)
	st, id := testStore(t)
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 && len(w.articles) == 3 })
	var src cache.Source
	locked(w, func() { src = w.sources[0] })

	// The row's secondary tap opens the menu.
	var row *sourceRow
	locked(w, func() {
		for _, o := range test.LaidOutObjects(w.sourceList) {
			if r, ok := o.(*sourceRow); ok && r.onMenu != nil {
				row = r
			}
		}
	})
	if row == nil {
		t.Fatal("no source row with a menu")
	}
	locked(w, func() {
		test.TapSecondary(row)
		if w.win.Canvas().Overlays().Top() == nil {
			t.Error("no menu shown")
		}
	})

	locked(w, func() {
		w.changeSource(func(ctx context.Context) error { return st.RenameSource(ctx, id, "اخبار") })
	})
	eventually(t, w, "the new name", func() bool { return w.sources[0].Name == "اخبار" })
	locked(w, func() {
		w.changeSource(func(ctx context.Context) error {
			return w.deps.Library.SetMirrors(ctx, src.ID, []string{"https://mirror.example/feed"})
		})
	})
	eventually(t, w, "the mirror", func() bool { return len(w.sources[0].Mirrors) == 1 })
	locked(w, func() { w.changeSource(func(ctx context.Context) error { return st.RemoveSource(ctx, src.ID) }) })
	eventually(t, w, "no source, no article", func() bool { return len(w.sources) == 0 && len(w.articles) == 0 })
}

type memNotify struct{ m map[int64]bool }

func (n *memNotify) NotifySources(context.Context) (map[int64]bool, error) {
	out := map[int64]bool{}
	for k, v := range n.m {
		out[k] = v
	}
	return out, nil
}
func (n *memNotify) SetNotify(_ context.Context, id int64, on bool) error { n.m[id] = on; return nil }

func TestNotifyNewArticlesOfMarkedSources(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, id := testStore(t)
	src, _ := st.Source(context.Background(), id)
	notify := &memNotify{m: map[int64]bool{}}
	w := New(a, Deps{Library: st, Settings: &fakeSettings{notify: notify}, Actions: &fakeActions{refresh: results(func(context.Context, func(feeds.Progress)) []feeds.Result {
		return []feeds.Result{{Source: src, OK: true, New: 4, Route: "direct", URLUsed: src.URL}}
	})}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 })

	// Not marked: nothing announced.
	test.AssertNotificationSent(t, nil, func() {
		locked(w, func() { test.Tap(w.refreshBtn) })
		eventually(t, w, "the refresh", func() bool { return w.badge.Text == "Direct" })
	})
	locked(w, func() { w.setNotify(id, true) })
	eventually(t, w, "marked", func() bool { return notify.m[id] })
	test.AssertNotificationSent(t, &fyne.Notification{Title: "4 new articles", Content: "News (4)"}, func() {
		locked(w, func() { w.badge.SetText(""); test.Tap(w.refreshBtn) })
		eventually(t, w, "the refresh", func() bool { return w.badge.Text == "Direct" })
	})
}

func TestSpacePages(t *testing.T) {
	a := test.NewTempApp(t)
	st, id := testStore(t)
	long := strings.Repeat("<p>A paragraph of a long article, long enough to need paging through it on a small window.</p>", 60)
	st.SaveFetch(context.Background(), id, &cache.Fetched{Articles: []cache.Article{{GUID: "long", Title: "Long read", HTML: long, Text: "long",
		Published: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}}})
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	w.Window().Resize(fyne.NewSize(900, 500))
	w.Start(context.Background())
	eventually(t, w, "the list", func() bool { return len(w.articles) == 4 })
	locked(w, func() { w.articleList.Select(0) })
	eventually(t, w, "the long read", func() bool { return w.readerTitle.Text == "Long read" })
	locked(w, func() { test.TypeOnCanvas(w.win.Canvas(), " ") })
	locked(w, func() {
		if w.readerScroll.Offset.Y <= 0 {
			t.Errorf("space did not page down: scroll %v content %v focused %v", w.readerScroll.Size(), w.readerScroll.Content.MinSize(), w.win.Canvas().Focused())
		}
	})
}

func TestHelpAndBlockedSource(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, id := testStore(t)
	st.SaveFailure(context.Background(), id, cache.Failure{Verdict: "dns-bogon", Error: "10.10.34.34"})
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 })
	locked(w, func() {
		w.sourceList.Select(1)
		if !strings.Contains(w.badge.Text, "blocked on your network") {
			t.Errorf("badge %q does not say the verdict in plain words", w.badge.Text)
		}
		test.TypeOnCanvas(w.win.Canvas(), "?")
		if w.win.Canvas().Overlays().Top() == nil {
			t.Error("no help shown")
		}
	})
}

func TestSourceStatus(t *testing.T) {
	test.NewTempApp(t)
	LoadTranslations()
	w := &Window{}
	now := time.Now()
	tests := []struct {
		name string
		src  cache.Source
		want string
	}{
		{"direct", cache.Source{URL: "https://a/feed", LastURL: "https://a/feed", LastRoute: "direct", LastOK: now}, "✓"},
		{"doh", cache.Source{URL: "https://a/feed", LastRoute: "doh", LastOK: now}, "✓"},
		{"proxy", cache.Source{URL: "https://a/feed", LastURL: "https://a/feed", LastRoute: "socks5://127.0.0.1:9050", LastOK: now}, "↪ socks5://127.0.0.1:9050"},
		{"mirror", cache.Source{URL: "https://a/feed", LastURL: "https://mirror.example/feed", LastRoute: "direct", LastOK: now}, "⇄ mirror.example"},
		{"both", cache.Source{URL: "https://a/feed", LastURL: "https://mirror.example/feed", LastRoute: "http://127.0.0.1:8118", LastOK: now},
			"↪ http://127.0.0.1:8118  ⇄ mirror.example"},
		{"blocked", cache.Source{URL: "https://a/feed", LastVerdict: "dns-bogon", LastOK: now}, "⚠ blocked"},
		{"never", cache.Source{URL: "https://a/feed"}, "· never updated"},
		{"stale", cache.Source{URL: "https://a/feed", LastOK: now.Add(-30 * time.Hour)}, "· updated 30 h ago"},
	}
	for _, tt := range tests {
		if got := w.sourceStatus(tt.src); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Background refresh follows the schedule, never overlaps a refresh, and
// stops when the interval is set to 0.
func TestScheduledRefresh(t *testing.T) {
	a := test.NewTempApp(t)
	st, _ := testStore(t)
	var mu sync.Mutex
	calls, running, overlap := 0, 0, false
	ctx, cancel := context.WithCancel(context.Background())
	w := New(a, Deps{Library: st, Options: Options{Interval: 20 * time.Millisecond}, Actions: &fakeActions{refresh: results(func(context.Context, func(feeds.Progress)) []feeds.Result {
		mu.Lock()
		calls++
		running++
		overlap = overlap || running > 1
		mu.Unlock()
		time.Sleep(30 * time.Millisecond) // longer than the interval
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	})}})
	t.Cleanup(w.Wait)
	t.Cleanup(cancel)
	w.Start(ctx)
	count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
	eventually(t, w, "two scheduled refreshes", func() bool { return count() >= 2 })
	locked(w, func() { w.interval = 0 })
	w.Wait()
	n := count()
	time.Sleep(150 * time.Millisecond)
	if count() != n {
		t.Errorf("refreshed %d more times with the schedule off", count()-n)
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Error("two refreshes ran at once")
	}
}

// "Open original" offers only web pages: a javascript: or smb: link kept
// by an older cache is not handed to the system.
func TestOpenOriginalOnlyWebPages(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	for _, tt := range []struct {
		url  string
		asks bool
	}{
		{"https://news.example/1", true},
		{"javascript:alert(1)", false},
		{"smb://evil.example/share", false},
		{"file:///etc/passwd", false},
	} {
		w := New(a, Deps{Library: st})
		locked(w, func() {
			w.current = &cache.Article{URL: tt.url}
			w.openOriginal()
		})
		if asks := shows(w, "system browser"); asks != tt.asks {
			t.Errorf("%s: asks to open: %v, want %v", tt.url, asks, tt.asks)
		}
		w.Wait()
	}
}

// failingLibrary is a cache that cannot write: starring says so.
type failingLibrary struct{ Library }

func (failingLibrary) SetStarred(context.Context, int64, bool) error { return cache.ErrReadOnly }

func TestStarFailureIsShown(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	w := New(a, Deps{Library: failingLibrary{st}})
	art := &cache.Article{ID: 1}
	locked(w, func() {
		w.current = art
		w.toggleStar()
	})
	w.Wait()
	eventually(t, w, "the error shown", func() bool { return shows(w, "Technical detail") })
	if art.Starred {
		t.Error("the star stayed on after the cache refused it")
	}
}

// results is a refresh that gives results as a report, as app.Refresh does.
func results(f func(context.Context, func(feeds.Progress)) []feeds.Result) func(context.Context, func(feeds.Progress)) (app.Report, error) {
	return func(ctx context.Context, progress func(feeds.Progress)) (app.Report, error) {
		r := f(ctx, progress)
		return app.Report{Results: r, Offline: feeds.Offline(r)}, nil
	}
}

// A refresh that cannot start (a bad setting, an unreadable cache) says
// why instead of doing nothing.
func TestRefreshThatCannotStart(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	w := New(a, Deps{Library: st, Actions: &fakeActions{refresh: func(context.Context, func(feeds.Progress)) (app.Report, error) {
		return app.Report{}, fmt.Errorf("setting transport.mode: %w", app.ErrSettings)
	}}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	locked(w, func() { w.startRefresh() })
	eventually(t, w, "the badge saying so", func() bool { return w.badge.Text == "The refresh could not start" && w.refreshing == nil })
	eventually(t, w, "the error dialog", func() bool { return w.win.Canvas().Overlays().Top() != nil })
}
