package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// ImportOPML adds the sources of an OPML file, all or none: how many were
// added, of how many listed.
func (a *App) ImportOPML(ctx context.Context, r io.Reader) (added, listed int, err error) {
	srcs, err := feeds.ReadOPML(r)
	if err != nil {
		return 0, 0, err
	}
	added, err = a.store.AddSources(ctx, srcs)
	return added, len(srcs), err
}

// ExportOPML writes every source as OPML, mirrors included: how many.
func (a *App) ExportOPML(ctx context.Context, w io.Writer) (int, error) {
	srcs, err := a.store.Sources(ctx)
	if err != nil {
		return 0, err
	}
	return len(srcs), feeds.WriteOPML(w, srcs, time.Now())
}

// ExportBundle writes saved news (all, or what opt chooses), images
// included.
func (a *App) ExportBundle(ctx context.Context, w io.Writer, opt cache.BundleOptions) (cache.BundleStats, error) {
	return a.store.ExportBundle(ctx, w, opt)
}

// ImportBundle reads a bundle from r: a file as it is, anything else (the
// window's file picker) through a temporary file, since a zip is read from
// its end. Its articles obey the same rules as fetched ones; images past
// the budget go, least recently read first.
func (a *App) ImportBundle(ctx context.Context, r io.Reader) (cache.BundleStats, error) {
	f, ok := r.(*os.File)
	if !ok {
		tmp, err := os.CreateTemp("", "kabootar-import-*")
		if err != nil {
			return cache.BundleStats{}, err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, r); err != nil {
			return cache.BundleStats{}, fmt.Errorf("reading the file: %w", err)
		}
		f = tmp
	}
	info, err := f.Stat()
	if err != nil {
		return cache.BundleStats{}, err
	}
	rules := cache.ImportRules{Clean: feeds.NewParser().Clean, IsBridge: feeds.IsBridgeSource}
	st, err := a.store.ImportBundle(ctx, f, info.Size(), rules)
	if err != nil {
		return st, err
	}
	if _, err := a.store.EnforceMediaBudget(ctx); err != nil {
		return st, err
	}
	return st, nil
}
