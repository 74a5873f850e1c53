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

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// emptyStore is a real cache with nothing in it, as on a first run.
func emptyStore(t *testing.T) *cache.Store {
	t.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), cache.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// walk visits o and what it holds, as far as containers and scrolls show.
func walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	visit(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, visit)
		}
	case *container.Scroll:
		walk(c.Content, visit)
	}
}

func findButton(w *Window, text string) *widget.Button {
	var found *widget.Button
	walk(w.win.Content(), func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			found = b
		}
	})
	return found
}

func shows(w *Window, text string) bool {
	found := false
	check := func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			found = found || strings.Contains(x.Text, text)
		case *widget.Check:
			found = found || strings.Contains(x.Text, text)
		}
	}
	walk(w.win.Content(), check)
	for _, ov := range w.win.Canvas().Overlays().List() {
		walk(ov, check)
		if p, ok := ov.(*widget.PopUp); ok {
			walk(p.Content, check)
		}
	}
	return found
}

// The whole first run on the test driver: Persian chosen, a found proxy
// taken and tested, the Persian starters ticked and added, the first
// refresh started; nothing comes through, and the window says so.
// It is long because it walks the whole first run, step by step.
func TestFirstRun(t *testing.T) {
	t.Cleanup(func() { LoadTranslations() }) // after the environment is back
	for _, k := range []string{"LANGUAGE", "LANG", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(k, "")
	}
	t.Setenv("LANG", "en_US.UTF-8")
	LoadTranslations()

	a := test.NewTempApp(t)
	ctx := context.Background()
	st := emptyStore(t)
	starters, err := feeds.ReadStarters([]byte(`{"sources":[
		{"name":"خبر یک","language":"fa","kind":"telegram","url":"https://t.me/s/khabar_yek"},
		{"name":"خبر دو","language":"fa","kind":"feed","url":"https://fa.example/rss"},
		{"name":"News One","language":"en","kind":"feed","url":"https://en.example/rss"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeConnection{conn: Connection{Mode: "auto", DoH: true}}
	var mu sync.Mutex
	var saved Reading
	done, refreshed := false, 0
	w := New(a, Deps{
		Library: st,
		Settings: &fakeSettings{conn: fc, saveReading: func(_ context.Context, r Reading) error {
			mu.Lock()
			defer mu.Unlock()
			saved = r
			return nil
		}},
		Actions: &fakeActions{
			refresh: results(func(ctx context.Context, progress func(feeds.Progress)) []feeds.Result {
				srcs, _ := st.Sources(ctx)
				mu.Lock()
				refreshed++
				mu.Unlock()
				var out []feeds.Result
				for i, s := range srcs {
					progress(feeds.Progress{Done: i + 1, Total: len(srcs)})
					out = append(out, feeds.Result{Source: s, Err: errors.New("blocked"), Verdict: transport.VerdictDNSBogon})
				}
				return out
			}),
			findProxies: func(context.Context) []FoundProxy {
				return []FoundProxy{{URL: "socks5://127.0.0.1:9050", Tool: "Tor"}}
			},
			addStarters: func(ctx context.Context, list []feeds.Starter) (int, error) {
				var srcs []cache.Source
				for _, s := range list {
					srcs = append(srcs, s.Source())
				}
				return st.AddSources(ctx, srcs)
			},
			welcomed: func(context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				done = true
				return nil
			},
		},
		Options: Options{FirstRun: &FirstRun{Starters: starters}},
	})
	t.Cleanup(w.Wait)
	w.Start(ctx)

	// 1. Language: both languages shown; Persian chosen.
	eventually(t, w, "the welcome", func() bool { return findButton(w, "فارسی") != nil && findButton(w, "English") != nil })
	locked(w, func() { test.Tap(findButton(w, "فارسی")) })
	if got := lang.L("Next"); got != "بعدی" {
		t.Fatalf("the window did not switch to Persian: Next is %q", got)
	}
	eventually(t, w, "the language kept", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return saved.Language == "fa"
	})

	// 2. Connection: the local Tor is found and offered first.
	var choice *widget.RadioGroup
	eventually(t, w, "the found proxy", func() bool {
		walk(w.win.Content(), func(o fyne.CanvasObject) {
			if r, ok := o.(*widget.RadioGroup); ok {
				choice = r
			}
		})
		return choice != nil && len(choice.Options) == 2 && strings.Contains(choice.Selected, "socks5://127.0.0.1:9050")
	})
	// A mistyped address is refused under it, and the reader can go on.
	var paste *widget.Entry
	locked(w, func() {
		walk(w.win.Content(), func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.Entry); ok {
				paste = e
			}
		})
		fc.reject = fmt.Errorf("--proxy: %w: socks5://127.0.0.1:notaport", feeds.ErrBadProxy)
		paste.SetText("socks5://127.0.0.1:notaport")
		test.Tap(findButton(w, lang.L("Test")))
	})
	eventually(t, w, "the refusal", func() bool {
		return shows(w, lang.L("error.proxy")) && !findButton(w, lang.L("Test")).Disabled()
	})
	locked(w, func() {
		fc.reject = nil
		paste.SetText("")
		test.Tap(findButton(w, lang.L("Test")))
	})
	eventually(t, w, "the test results", func() bool {
		return shows(w, "socks5://127.0.0.1:9050") && shows(w, lang.L("works")+"، 120 میلی\u200cثانیه")
	})
	if fc.tested != "https://fa.example/rss" {
		t.Errorf("tested %q, want the first Persian feed", fc.tested)
	}
	locked(w, func() { test.Tap(findButton(w, lang.L("Next"))) })

	// 3. Sources: Persian ticked, English not.
	eventually(t, w, "the starter sources", func() bool { return shows(w, "News One") })
	if fc.saved == nil || fc.saved.Mode != "auto" || len(fc.saved.Proxies) != 1 || fc.saved.Proxies[0] != "socks5://127.0.0.1:9050" {
		t.Fatalf("connection saved %+v", fc.saved)
	}
	locked(w, func() {
		walk(w.win.Content(), func(o fyne.CanvasObject) {
			if c, ok := o.(*widget.Check); ok {
				if want := !strings.Contains(c.Text, "News One"); c.Checked != want {
					t.Errorf("%q ticked %v, want %v", c.Text, c.Checked, want)
				}
			}
		})
		test.Tap(findButton(w, lang.L("Start reading")))
	})

	// 4. The main window, the first refresh, and the plain words when
	// nothing comes through.
	eventually(t, w, "nothing came through", func() bool {
		return shows(w, lang.L("No news came through. These sites may be blocked on your network."))
	})
	srcs, _ := st.Sources(ctx)
	if len(srcs) != 2 {
		t.Errorf("%d sources added, want the 2 Persian ones", len(srcs))
	}
	mu.Lock()
	defer mu.Unlock()
	if !done || refreshed != 1 {
		t.Errorf("done %v, refreshed %d times", done, refreshed)
	}
	if w.deps.Options.FirstRun != nil || findButton(w, lang.L("Settings")) == nil {
		t.Error("the main window is not shown")
	}
}

// After the welcome, a refresh where nothing ever came through says so once,
// naming the likely cause: offline (every verdict a lack of network) or
// blocked; a source that came through before silences it.
func TestNothingCameThrough(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, id := testStore(t)
	src, _ := st.Source(context.Background(), id)
	offline := feeds.Result{Source: src, Err: errors.New("down"), Verdict: transport.VerdictNetwork, Offline: true}
	if nothingEver([]feeds.Result{offline}) {
		t.Error("a source that came through before (testStore saved its articles) counts as never")
	}
	src.LastOK = time.Time{}
	offline.Source = src
	tests := []struct {
		name    string
		results []feeds.Result
		want    string
	}{
		{"offline", []feeds.Result{offline}, "no connection to the internet"},
		{"blocked", []feeds.Result{offline, {Source: src, Err: errors.New("bogon"), Verdict: transport.VerdictDNSBogon}}, "may be blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(a, Deps{Library: st})
			t.Cleanup(w.Wait)
			if !nothingEver(tt.results) {
				t.Fatal("nothingEver is false")
			}
			locked(w, func() { w.nothingCame(tt.results) })
			if !shows(w, tt.want) {
				t.Errorf("the dialog does not say %q", tt.want)
			}
		})
	}
	ok := offline
	ok.OK = true
	if nothingEver([]feeds.Result{offline, ok}) || nothingEver(nil) {
		t.Error("nothingEver with a success, or with no sources")
	}
}

// On an empty list, the news shows as soon as the first source brings it,
// while the others are still being fetched.
func TestNewsShowsAsItArrives(t *testing.T) {
	a := test.NewTempApp(t)
	ctx := context.Background()
	st := emptyStore(t)
	fast, _ := st.AddSource(ctx, cache.Source{URL: "https://fast.example/feed", Name: "Fast"})
	st.AddSource(ctx, cache.Source{URL: "https://slow.example/feed", Name: "Slow"})
	release := make(chan struct{})
	w := New(a, Deps{Library: st, Actions: &fakeActions{refresh: results(func(ctx context.Context, progress func(feeds.Progress)) []feeds.Result {
		res, _ := st.SaveFetch(ctx, fast, &cache.Fetched{Articles: []cache.Article{{GUID: "1", Title: "First news", Published: time.Now()}}})
		progress(feeds.Progress{Done: 1, Total: 2, Result: feeds.Result{OK: true, New: res.New}})
		<-release // the slow source
		return nil
	})}})
	t.Cleanup(w.Wait)
	t.Cleanup(func() { close(release) }) // first: the refresh ends, then the window is still
	w.Start(ctx)
	locked(w, func() { w.startRefresh() })
	eventually(t, w, "the first source's news, before the slow one is done", func() bool {
		return len(w.articles) == 1 && w.articles[0].Title == "First news"
	})
}
