package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"

	"github.com/kabootar/kabootar/assets"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
	"github.com/kabootar/kabootar/internal/ui"
)

// settingWelcomed is set once the reader has been through the welcome.
const settingWelcomed = "ui.welcomed"

// firstRun is the welcome's part of the window, or nil: the welcome shows
// on a start with no sources, until it has been gone through once.
func (c *cli) firstRun(ctx context.Context, store *cache.Store) (*ui.FirstRun, error) {
	if v, _, err := store.Setting(ctx, settingWelcomed); err != nil || v == "1" {
		return nil, err
	}
	srcs, err := store.Sources(ctx)
	if err != nil || len(srcs) > 0 {
		return nil, err
	}
	starters, err := feeds.ReadStarters(assets.Starter)
	if err != nil {
		return nil, err
	}
	return &ui.FirstRun{
		Starters: starters,
		FindProxies: func(ctx context.Context) []ui.FoundProxy {
			var out []ui.FoundProxy
			for _, p := range transport.FindLocalProxies(ctx, transport.CommonLocalProxies, c.getenv, nil) {
				out = append(out, ui.FoundProxy{URL: p.Proxy.String(), Tool: p.Tool, NeedsPassword: p.NeedsPassword})
			}
			return out
		},
		AddStarters: func(ctx context.Context, list []feeds.Starter) (int, error) {
			srcs := make([]cache.Source, 0, len(list))
			for _, s := range list {
				srcs = append(srcs, s.Source())
			}
			return store.AddSources(ctx, srcs)
		},
		Done: func(ctx context.Context) error { return store.SetSetting(ctx, settingWelcomed, "1") },
		Step: c.welcomeStep,
	}, nil
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
