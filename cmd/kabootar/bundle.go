package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
)

// bundle exports and imports saved news: one file to carry to someone
// whose network is down.
func (c *cli) bundle(ctx context.Context, args []string) error {
	fs := c.flags("bundle")
	var sourceIDs stringList
	fs.Var(&sourceIDs, "source", "export only this source (by ID); may be given many times")
	days := fs.Int("days", 0, "export only articles of the last N days (0: all)")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 2 || (rest[0] != "import" && rest[0] != "export") {
		return usagef("use 'bundle export FILE [--source ID]... [--days N]' or 'bundle import FILE'")
	}
	if rest[0] == "import" {
		if len(sourceIDs) > 0 || *days != 0 {
			return usagef("--source and --days choose what to export; import takes the whole file")
		}
		return c.bundleImport(ctx, rest[1])
	}
	opt := cache.BundleOptions{}
	for _, s := range sourceIDs {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return usagef("--source %q: a source is given by its ID (kabootar sources list)", s)
		}
		opt.SourceIDs = append(opt.SourceIDs, id)
	}
	if *days < 0 {
		return usagef("--days must be 0 or more")
	}
	if *days > 0 {
		opt.Since = time.Now().Add(-time.Duration(*days) * 24 * time.Hour)
	}
	return c.bundleExport(ctx, rest[1], opt)
}

// bundleExport writes the bundle through writeFile: a failed export never
// leaves half a bundle under the name.
func (c *cli) bundleExport(ctx context.Context, path string, opt cache.BundleOptions) error {
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var st cache.BundleStats
	err = writeFile(path, func(w io.Writer) (err error) {
		st, err = a.ExportBundle(ctx, w, opt)
		return err
	})
	if errors.Is(err, cache.ErrNotFound) {
		return usagef("%v: see kabootar sources list", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Exported %d articles from %d sources, with %d images (%.1f MB), to %s\n",
		st.Articles, st.Sources, st.Media, float64(st.MediaBytes)/(1<<20), path)
	return nil
}

func (c *cli) bundleImport(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return usagef("cannot read %s: %v", path, err)
	}
	defer f.Close()
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	// A bundle may inflate to gigabytes of articles; they are stored a
	// batch at a time, and the collector keeps the garbage of each batch
	// from piling up past the budget.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
	st, err := a.ImportBundle(ctx, f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(c.stdout, "Imported %d articles (%d were here already) and %d images; %d new sources of %d.\n",
		st.Articles, st.Existing, st.Media, st.Sources, st.SourcesSeen)
	return nil
}
