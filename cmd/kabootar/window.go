package main

import (
	"context"
	"fmt"
	"fyne.io/fyne/v2"
	"io"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/ui"
)

// window opens Kabootar's window over the data directory.
func (c *cli) window(ctx context.Context) error {
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	reading, err := loadReading(ctx, store)
	if err != nil {
		c.log.Warn("reading settings", "err", err)
	}
	minutes, err := refreshMinutes(ctx, store)
	if err != nil {
		c.log.Warn("refresh interval", "err", err)
	}
	interval := time.Duration(minutes) * time.Minute
	first, err := c.firstRun(ctx, store)
	if err != nil {
		c.log.Warn("first run", "err", err)
	}
	a := app.NewWithID("org.kabootar.kabootar")
	if err := ui.SetLanguage(reading.Language); err != nil {
		c.log.Warn("translations", "err", err)
	}
	w := ui.New(a, ui.Deps{
		Library:   store,
		Interval:  interval,
		OpenFirst: c.openFirst,
		Settings:  connection{c: c, store: store},
		Storage:   storage{store: store},
		Notify:    notifySettings{store: store},
		ImportOPML: func(ctx context.Context, r io.Reader) (int, error) {
			srcs, err := feeds.ReadOPML(r)
			if err != nil {
				return 0, err
			}
			return store.AddSources(ctx, srcs)
		},
		ExportOPML: func(ctx context.Context, w io.Writer) error {
			srcs, err := store.Sources(ctx)
			if err != nil {
				return err
			}
			return feeds.WriteOPML(w, srcs, time.Now())
		},
		Reading:  reading,
		FirstRun: first,
		ImportBundle: func(ctx context.Context, r io.Reader) (int, error) {
			st, err := importBundle(ctx, store, r)
			return st.Articles, err
		},
		ExportBundle: func(ctx context.Context, w io.Writer) (int, error) {
			st, err := store.ExportBundle(ctx, w, cache.BundleOptions{})
			return st.Articles, err
		},
		Tray: trayAvailable(c.getenv),
		SaveReading: func(ctx context.Context, r ui.Reading) error {
			if err := store.SetSetting(ctx, settingTheme, r.Theme); err != nil {
				return err
			}
			if err := store.SetSetting(ctx, settingLanguage, r.Language); err != nil {
				return err
			}
			return store.SetSetting(ctx, settingTextScale, strconv.FormatFloat(float64(r.Scale), 'f', 2, 32))
		},
		FullText: func(ctx context.Context, id int64, page string) error {
			client, err := c.client(ctx, store)
			if err != nil {
				return err
			}
			defer client.Close()
			off := &feeds.Offliner{Fetcher: client, Store: store, Parser: feeds.NewParser(), Log: c.log}
			return off.FullText(ctx, id, page)
		},
		Refresh: func(ctx context.Context, progress func(feeds.Progress)) []feeds.Result {
			// A client per refresh: the settings may have changed.
			client, err := c.client(ctx, store)
			if err != nil {
				c.log.Warn("refresh", "err", err)
				return nil
			}
			defer client.Close()
			ref, err := c.refresher(ctx, store, client)
			if err != nil {
				c.log.Warn("refresh", "err", err)
				return nil
			}
			srcs, err := store.Sources(ctx)
			if err != nil {
				return nil
			}
			off := &feeds.Offliner{Fetcher: client, Store: store, Parser: ref.Parser, Log: c.log}
			results, _, err := ref.RefreshWithMedia(ctx, off, srcs, progress)
			if err != nil {
				c.log.Warn("storing media for offline reading failed", "err", err)
			}
			return results
		},
		Probe: func(ctx context.Context) bool {
			client, err := c.client(ctx, store)
			if err != nil {
				return false
			}
			defer client.Close()
			srcs, err := store.Sources(ctx)
			if err != nil {
				return false
			}
			return (&feeds.Refresher{Fetcher: client}).Probe(ctx, srcs)
		},
		AddSource: func(ctx context.Context, input string) error {
			// The same path as `kabootar sources add`, output to the log.
			var out strings.Builder
			sub := &cli{stdout: &out, stderr: &out, getenv: c.getenv, dataDir: c.dataDir, verbose: c.verbose, log: c.log}
			if err := sub.sourcesAdd(ctx, []string{input}); err != nil {
				return fmt.Errorf("%s", strings.TrimSpace(strings.TrimPrefix(errText(err, &out), "kabootar: ")))
			}
			return nil
		},
	})
	started := time.Now()
	a.Lifecycle().SetOnStarted(func() {
		c.log.Debug("window started", "ms", time.Since(c.began).Milliseconds(), "after_open_ms", time.Since(started).Milliseconds())
	})
	w.Start(ctx)
	// SIGTERM or SIGINT (ctx, from main) ends the window. Fyne's driver
	// quits on them too, but only once its loop has set that up: a signal
	// before it was caught by main and ignored, and the process stayed.
	// fyne.Do waits for the loop, so an early signal is not lost.
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.Window().ShowAndRun()
	return nil
}

// Reading settings, shared with any other window on the same data.
const (
	settingTheme     = "ui.theme"      // system, light or dark
	settingTextScale = "ui.text_scale" // 1, 1.15 or 1.3
	settingLanguage  = "ui.language"   // "" (the system's), en or fa
)

func loadReading(ctx context.Context, st *cache.Store) (ui.Reading, error) {
	r := ui.Reading{Theme: "system", Scale: 1}
	if v, ok, err := st.Setting(ctx, settingTheme); err != nil {
		return r, err
	} else if ok && (v == "light" || v == "dark" || v == "system") {
		r.Theme = v
	}
	if v, ok, err := st.Setting(ctx, settingLanguage); err != nil {
		return r, err
	} else if ok && (v == "en" || v == "fa") {
		r.Language = v
	}
	if v, ok, err := st.Setting(ctx, settingTextScale); err != nil {
		return r, err
	} else if ok {
		if f, err := strconv.ParseFloat(v, 32); err == nil && f >= 0.5 && f <= 3 {
			r.Scale = float32(f)
		}
	}
	return r, nil
}

// errText is the message of a command's error, or what it printed.
func errText(err error, out *strings.Builder) string {
	if fe, ok := err.(*failedError); ok && fe.msg != "" {
		return fe.msg
	}
	if s := strings.TrimSpace(out.String()); s != "" && err.Error() == "" {
		return s
	}
	return err.Error()
}
