package ui

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
)

func (w *Window) addSourceDialog() {
	entry := w.newEntry(false)
	entry.SetPlaceHolder(lang.L("URL, @channel, instagram:NAME or x:NAME"))
	items := []*widget.FormItem{widget.NewFormItem("", entry)}
	if w.deps.Actions != nil {
		items = append(items, widget.NewFormItem("OPML", container.NewHBox(
			widget.NewButton(lang.L("Import OPML…"), w.importOPML),
			widget.NewButton(lang.L("Export OPML…"), w.exportOPML))))
	}
	w.showForm(lang.L("Add source"), lang.L("Add"), lang.L("Cancel"), items,
		func(ok bool) {
			if ok && strings.TrimSpace(entry.Text) != "" {
				w.addSource(entry.Text)
			}
		}, entry)
}

// importOPML adds the sources of a file the reader picks.
func (w *Window) importOPML() {
	w.importFile(func(ctx context.Context, r io.Reader) (int, error) {
		n, _, err := w.deps.Actions.ImportOPML(ctx, r)
		return n, err
	}, func(n int) string {
		return lang.L("Imported {{.Count}} sources.", map[string]int{"Count": n})
	}, lang.L("Import OPML…"))
}

// importBundle adds a file of saved news the reader picks: verified, and
// from a key not trusted only once the reader has seen who signed it.
func (w *Window) importBundle() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		uri := r.URI()
		r.Close()
		w.importBundleFrom(uri, app.ImportOptions{})
	}, w.win)
}

// importBundleFrom imports the bundle at uri as o says; a signer not
// trusted is asked about, and the file read again on the reader's word.
func (w *Window) importBundleFrom(uri fyne.URI, o app.ImportOptions) {
	w.bg.Go(func() {
		r, err := storage.Reader(uri)
		var st cache.BundleStats
		if err == nil {
			st, err = w.deps.Actions.ImportBundle(context.Background(), r, o)
			r.Close()
		}
		w.do(func() {
			var unknown *app.UnknownSignerError
			if errors.As(err, &unknown) {
				i := unknown.Info
				w.acceptPrompt(i.Signer, i.Articles, i.Sources, i.Created, func(o app.ImportOptions) { w.importBundleFrom(uri, o) })
				return
			}
			if err != nil {
				w.showError(err)
				return
			}
			w.showDialog(dialog.NewInformation(lang.L("Import saved news…"),
				lang.L("Imported {{.Count}} articles.", map[string]string{"Count": numberText(st.Articles, w.persian)}), w.win), nil)
			w.reloadSources()
			w.reloadArticles()
		})
	})
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
				w.showDialog(dialog.NewInformation(title, said(n), w.win), nil)
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
			st, err := w.deps.Actions.ExportBundle(context.Background(), wr, cache.BundleOptions{})
			n := st.Articles
			if cerr := wr.Close(); err == nil {
				err = cerr
			}
			w.do(func() {
				if err != nil {
					w.showError(err)
					return
				}
				w.showDialog(dialog.NewInformation(lang.L("Export saved news…"), lang.L("Exported {{.Count}} articles.", map[string]int{"Count": n}), w.win), nil)
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
			_, err := w.deps.Actions.ExportOPML(context.Background(), wr)
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
	if w.deps.Actions == nil {
		return
	}
	w.bg.Go(func() {
		added, err := w.deps.Actions.AddSource(context.Background(), input, app.AddOptions{})
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
