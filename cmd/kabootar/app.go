package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// settingBackfill is how many posts a channel's first refresh reads back.
const settingBackfill = "telegram.backfill"

var (
	errDataDir  = errors.New("data directory")
	errSettings = errors.New("the settings cannot be used")
)

// resolveDataDir is --data, else $KABOOTAR_DATA, else the user data
// directory of the platform.
func (c *cli) resolveDataDir() (string, error) {
	if c.dataDir != "" {
		return c.dataDir, nil
	}
	if d := c.getenv("KABOOTAR_DATA"); d != "" {
		return d, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = c.getenv("LocalAppData")
	case "darwin":
		if h := c.getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Application Support")
		}
	default:
		base = c.getenv("XDG_DATA_HOME")
		if base == "" && c.getenv("HOME") != "" {
			base = filepath.Join(c.getenv("HOME"), ".local", "share")
		}
	}
	if base == "" {
		return "", fmt.Errorf("%w: cannot tell where to keep data; give one with --data DIR or $KABOOTAR_DATA", errDataDir)
	}
	return filepath.Join(base, "kabootar"), nil
}

// openStore opens the cache in the data directory, creating both if needed.
func (c *cli) openStore(ctx context.Context) (*cache.Store, error) {
	dir, err := c.resolveDataDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w %s cannot be created: %v; choose another with --data DIR", errDataDir, dir, err)
	}
	c.log.Debug("data directory", "dir", dir)
	return cache.Open(ctx, filepath.Join(dir, cache.FileName))
}

// client is the one transport.Client of this run: every fetch goes
// through it, over the routes the settings allow, remembering in the cache
// which route works for which host.
func (c *cli) client(ctx context.Context, st *cache.Store) (*transport.Client, error) {
	ns, err := loadNetSettings(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("%w: %w; fix it with 'kabootar transport set'", errSettings, err)
	}
	if err := st.ForgetRoutes(ctx, time.Now().Add(-routeMemoryTTL)); err != nil {
		c.log.Warn("could not forget old routes", "err", err)
	}
	return transport.New(transport.Options{
		UserAgent: "Kabootar/" + version,
		Logger:    c.log,
		Config:    c.config(ns),
		Memory:    routeMemory{st},
	}), nil
}

func (c *cli) refresher(ctx context.Context, store *cache.Store, client *transport.Client) (*feeds.Refresher, error) {
	bases, tpl, err := c.bridgeSettings(ctx, store)
	if err != nil {
		return nil, err
	}
	backfill := 0
	if v, ok, err := store.Setting(ctx, settingBackfill); err != nil {
		return nil, err
	} else if ok {
		if backfill, err = strconv.Atoi(v); err != nil || backfill < 1 {
			return nil, fmt.Errorf("%w: setting %s: %q is not a positive number", errSettings, settingBackfill, v)
		}
	}
	return &feeds.Refresher{Fetcher: client, Store: store, Parser: feeds.NewParser(), Log: c.log, Backfill: backfill,
		Expand: func(src cache.Source) ([]string, error) { return expand(bases, tpl, src.URL) }}, nil
}
