package ui

import (
	"context"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kabootar/kabootar/internal/app"
)

// The window's size, the panes' widths and the source chosen come back
// after a restart.
func TestWindowStateComesBack(t *testing.T) {
	a := test.NewTempApp(t)
	st, id := testStore(t)
	var mu sync.Mutex
	var saved app.WindowState
	settings := &fakeSettings{saveWindow: func(_ context.Context, s app.WindowState) error {
		mu.Lock()
		defer mu.Unlock()
		saved = s
		return nil
	}}
	w := New(a, Deps{Library: st, Settings: settings})
	w.Start(context.Background())
	eventually(t, w, "the sources", func() bool { return len(w.sources) == 1 })
	locked(w, func() {
		w.win.Resize(fyne.NewSize(1000, 700))
		w.lists.Offset, w.main.Offset = 0.3, 0.6
		w.sourceList.Select(1)
	})
	eventually(t, w, "the source chosen", func() bool { return w.query.SourceID == id })
	locked(w, func() { w.win.Close() })
	w.Wait()
	mu.Lock()
	got := saved
	mu.Unlock()
	if got != (app.WindowState{Width: 1000, Height: 700, Lists: 0.3, Main: 0.6, SourceID: id}) {
		t.Fatalf("saved %+v", got)
	}

	again := New(a, Deps{Library: st, Settings: settings, Options: Options{Window: got}})
	t.Cleanup(again.Wait)
	again.Start(context.Background())
	eventually(t, again, "the source chosen again", func() bool {
		return len(again.sources) == 1 && again.query.SourceID == id && len(again.articles) > 0
	})
	locked(again, func() {
		if s := again.win.Canvas().Size(); s.Width != 1000 || s.Height != 700 {
			t.Errorf("size %v", s)
		}
		if again.lists.Offset != 0.3 || again.main.Offset != 0.6 {
			t.Errorf("panes %v %v", again.lists.Offset, again.main.Offset)
		}
		for _, a := range again.articles {
			if a.SourceID != id {
				t.Errorf("an article of source %d shown with source %d chosen", a.SourceID, id)
			}
		}
	})
}
