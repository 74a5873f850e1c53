package ui

import (
	"context"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/feeds"
)

// Escape closes a dialog (from an entry too), Enter confirms where there
// is a default, F5 refreshes and Ctrl+F goes to the search box.
func TestDesktopKeys(t *testing.T) {
	a := test.NewTempApp(t)
	st, id := testStore(t)
	var refreshed atomic.Int32
	w := New(a, Deps{Library: st, Actions: &fakeActions{refresh: func(context.Context, func(feeds.Progress)) (app.Report, error) {
		refreshed.Add(1)
		return app.Report{}, nil
	}}})
	t.Cleanup(w.Wait)
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 })
	key := func(name fyne.KeyName) { w.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name}) }
	top := func() fyne.CanvasObject { return w.win.Canvas().Overlays().Top() }

	// Escape closes the help, the top dialog.
	locked(w, func() { w.showHelp() })
	locked(w, func() {
		if top() == nil || len(w.dialogs) != 1 {
			t.Fatalf("the help did not open: %d dialogs", len(w.dialogs))
		}
		key(fyne.KeyEscape)
	})
	eventually(t, w, "the help closed", func() bool { return top() == nil && len(w.dialogs) == 0 })

	// Escape in the rename dialog's entry cancels; Enter in it saves.
	src := w.sources[0]
	var entry *dialogEntry
	find := func() {
		entry = nil
		for _, o := range test.LaidOutObjects(top()) {
			if e, ok := o.(*dialogEntry); ok {
				entry = e
			}
		}
	}
	locked(w, func() { w.renameDialog(src); find() })
	if entry == nil {
		t.Fatal("no entry in the rename dialog")
	}
	locked(w, func() {
		entry.SetText("Not this")
		entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	})
	eventually(t, w, "the rename cancelled", func() bool { return top() == nil })
	locked(w, func() { w.renameDialog(src); find() })
	locked(w, func() {
		entry.SetText("Renamed by Enter")
		entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	eventually(t, w, "the rename saved", func() bool { return len(w.sources) == 1 && w.sources[0].Name == "Renamed by Enter" })
	if s, _ := st.Source(context.Background(), id); s.Name != "Renamed by Enter" {
		t.Errorf("stored name %q", s.Name)
	}

	// F5 refreshes; Ctrl+F focuses the search.
	locked(w, func() { key(fyne.KeyF5) })
	eventually(t, w, "the refresh", func() bool { return refreshed.Load() == 1 && w.refreshing == nil })
	locked(w, func() {
		w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault})
		if w.win.Canvas().Focused() != w.search {
			t.Error("Ctrl+F did not go to the search box")
		}
	})
}

// openSettings is a window with its settings dialog open on st, the
// connection settings a fake.
func openSettings(t *testing.T, st Storage) (*Window, *fakeConnection, *settingsForm) {
	t.Helper()
	a := test.NewTempApp(t)
	LoadTranslations()
	lib, _ := testStore(t)
	fc := &fakeConnection{conn: Connection{Mode: "auto", DoH: true}}
	w := New(a, Deps{Library: lib, Settings: &fakeSettings{conn: fc}})
	t.Cleanup(w.Wait)
	var f *settingsForm
	locked(w, func() { f = w.settingsDialog(fc, fc.conn, st, nil) })
	return w, fc, f
}

// The settings are in tabs, one a section; Escape closes them unsaved.
func TestSettingsInTabs(t *testing.T) {
	w, fc, f := openSettings(t, Storage{})
	var titles []string
	for _, it := range f.tabs.Items {
		titles = append(titles, it.Text)
	}
	if len(titles) != 4 || titles[0] != "Reading" || titles[1] != "Connection" || titles[2] != "Tor" || titles[3] != "Storage" {
		t.Errorf("tabs %q", titles)
	}
	locked(w, func() { w.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	eventually(t, w, "the settings closed", func() bool { return w.win.Canvas().Overlays().Top() == nil })
	if fc.saved != nil {
		t.Error("Escape saved the settings")
	}
}

// Tab moves through the fields in reading order: in the storage tab,
// days, then articles per source, images, refresh interval.
func TestTabOrder(t *testing.T) {
	w, _, f := openSettings(t, Storage{RetentionDays: 90, PerSource: 500, MediaMB: 500, RefreshMinutes: 30})
	locked(w, func() { f.tabs.SelectIndex(3) })
	c := w.win.Canvas()
	locked(w, func() {
		c.Focus(f.days)
		for _, want := range []fyne.Focusable{f.perSource, f.mediaMB, f.every} {
			c.FocusNext()
			if c.Focused() != want {
				t.Fatalf("Tab went to %T %p, want %p", c.Focused(), c.Focused(), want)
			}
		}
	})
}

// quitRecorder is the test app, telling whether it was asked to quit.
type quitRecorder struct {
	fyne.App
	quit atomic.Bool
}

func (q *quitRecorder) Quit() { q.quit.Store(true) }

// Ctrl+Q quits.
func TestCtrlQQuits(t *testing.T) {
	q := &quitRecorder{App: test.NewTempApp(t)}
	st, _ := testStore(t)
	w := New(q, Deps{Library: st})
	t.Cleanup(w.Wait)
	locked(w, func() {
		w.win.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault})
	})
	if !q.quit.Load() {
		t.Error("Ctrl+Q did not quit")
	}
}
