package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/ui"
)

// window opens Kabootar's window over the data directory. The window
// calls the application's use cases itself; this only wires them.
func (c *cli) window(ctx context.Context) error {
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	reading, err := a.Reading(ctx)
	if err != nil {
		c.log.Warn("reading settings", "err", err)
	}
	storage, err := a.Storage(ctx)
	if err != nil {
		c.log.Warn("storage settings", "err", err)
	}
	state, err := a.Window(ctx)
	if err != nil {
		c.log.Warn("window state", "err", err)
	}
	var first *ui.FirstRun
	if show, err := a.FirstRun(ctx); err != nil {
		c.log.Warn("first run", "err", err)
	} else if show {
		starters, err := a.Starters()
		if err != nil {
			c.log.Warn("starter sources", "err", err)
		}
		first = &ui.FirstRun{Starters: starters, Step: c.welcomeStep}
	}
	fa := fyneapp.NewWithID("org.kabootar.kabootar")
	if err := ui.SetLanguage(reading.Language); err != nil {
		c.log.Warn("translations", "err", err)
	}
	w := ui.New(fa, ui.Deps{
		Library:  a.Store(),
		Actions:  a,
		Settings: a,
		Sharing:  a,
		Options: ui.Options{
			Interval:       time.Duration(storage.RefreshMinutes) * time.Minute,
			OpenFirst:      c.openFirst,
			RefreshAtStart: c.refreshAtStart,
			OpenSettings:   c.openSettings || c.settingsTab != "",
			SettingsTab:    c.settingsTab,
			Reading:        reading,
			FirstRun:       first,
			Tray:           trayAvailable(c.getenv),
			Window:         state,
		},
	})
	started := time.Now()
	fa.Lifecycle().SetOnStarted(func() {
		c.log.Debug("window started", "ms", time.Since(c.began).Milliseconds(), "after_open_ms", time.Since(started).Milliseconds())
	})
	w.Start(ctx)
	// --tor always: the window's Tor starts with it, and bootstraps while
	// the reader reads; Close (below) stops it.
	go a.StartTorIfAlways(ctx)
	// SIGTERM or SIGINT (ctx, from main) ends the window. Fyne's driver
	// quits on them too, but only once its loop has set that up: a signal
	// before it was caught by main and ignored, and the process stayed.
	// fyne.Do waits for the loop, so an early signal is not lost.
	go func() {
		<-ctx.Done()
		fyne.Do(fa.Quit)
	}()
	w.Window().ShowAndRun()
	w.Wait() // what the window was still saving (its state) lands before the cache closes
	return nil
}

// trayAvailable says whether a tray icon can be asked for: on Linux and
// the BSDs the tray speaks D-Bus, and Fyne's systray crashes on quit when
// there is no session bus.
func trayAvailable(getenv func(string) string) bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return true
	}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "bus")); err == nil {
			return true
		}
	}
	return false
}

// The application is what the window asks for and what it edits.
var (
	_ ui.Actions  = (*app.App)(nil)
	_ ui.Settings = (*app.App)(nil)
	_ ui.Sharing  = (*app.App)(nil)
)
