package ui

import (
	"context"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/app"
)

// In the Persian window the layout is mirrored: the sources at the right
// edge, the reader at the left, the toolbar from the right; the English
// window stays as it was. Dates and counts follow the language.
func TestPersianWindowMirrored(t *testing.T) {
	for _, k := range []string{"LANGUAGE", "LANG", "LC_ALL", "LC_MESSAGES"} {
		t.Setenv(k, "")
	}
	t.Setenv("LANG", "en_US.UTF-8")
	t.Cleanup(func() { os.Unsetenv("LANGUAGE"); LoadTranslations() })
	a := test.NewTempApp(t)
	st, _ := testStore(t)
	x := func(o fyne.CanvasObject) float32 { return a.Driver().AbsolutePositionForObject(o).X }
	open := func() *Window {
		w := New(a, Deps{Library: st})
		t.Cleanup(w.Wait)
		w.Window().Resize(fyne.NewSize(1200, 760))
		w.Start(context.Background())
		eventually(t, w, "the articles", func() bool { return len(w.articles) == 3 && len(w.sources) == 1 })
		return w
	}

	if err := LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	en := open()
	locked(en, func() {
		if en.persian {
			t.Fatal("the English window thinks it is Persian")
		}
		if !(x(en.sourceList) < x(en.articleList) && x(en.articleList) < x(en.readerScroll)) {
			t.Errorf("English: sources %v, articles %v, reader %v: want left to right", x(en.sourceList), x(en.articleList), x(en.readerScroll))
		}
		if !(x(en.refreshBtn) < x(en.search)) {
			t.Errorf("English: the toolbar starts from the left")
		}
	})

	if err := SetLanguage("fa"); err != nil {
		t.Fatal(err)
	}
	fa := open()
	locked(fa, func() {
		if !fa.persian {
			t.Fatal("the Persian window does not know it")
		}
		if !(x(fa.sourceList) > x(fa.articleList) && x(fa.articleList) > x(fa.readerScroll)) {
			t.Errorf("Persian: sources %v, articles %v, reader %v: want right to left", x(fa.sourceList), x(fa.articleList), x(fa.readerScroll))
		}
		if !(x(fa.refreshBtn) > x(fa.search)) {
			t.Errorf("Persian: the toolbar starts from the right (refresh %v, search %v)", x(fa.refreshBtn), x(fa.search))
		}
		// A dialog's confirm is on the left in Persian.
		d := fa.showConfirm("t", "تأیید", "لغو", messageLabel("؟"), func() {}, false)
		var ok, cancel fyne.CanvasObject
		for _, o := range test.LaidOutObjects(fa.win.Canvas().Overlays().Top()) {
			if b, isButton := o.(*widget.Button); isButton {
				switch b.Text {
				case "تأیید":
					ok = b
				case "لغو":
					cancel = b
				}
			}
		}
		if ok == nil || cancel == nil || !(x(ok) < x(cancel)) {
			t.Errorf("Persian dialog: confirm at %v, cancel at %v: want confirm on the left", ok, cancel)
		}
		d.Hide()
		// Panes' widths as stored are shares from the reading side: the
		// sources' 0.3 of the lists is the right 0.3 in Persian.
		shares := New(a, Deps{Library: st, Options: Options{Window: app.WindowState{Lists: 0.3, Main: 0.6}}})
		if l, m := shares.lists.Offset, shares.main.Offset; l < 0.69 || l > 0.71 || m < 0.39 || m > 0.41 {
			t.Errorf("Persian panes from shares 0.3 and 0.6: offsets %v and %v, want 0.7 and 0.4", l, m)
		}
		row := fa.articleList.CreateItem().(*articleRow)
		articleRows{fa}.UpdateItem(0, row)
		when := row.source.Text + row.when.Text
		if strings.ContainsAny(when, "0123456789") {
			t.Errorf("Persian: the date has Latin digits: %q", when)
		}
	})
}
