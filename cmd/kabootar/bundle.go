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

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

// signedBy says who signed a bundle, as the reader knows them.
func (c *cli) signedBy(ctx context.Context, a *app.App, k keys.PublicKey) string {
	if k == nil {
		return "It was not signed (an older Kabootar made it): imported on your word."
	}
	if id, err := a.Identity(); err == nil && id.Public().Equal(k) {
		return "It was signed by your own key."
	}
	name, ok, _ := a.Store().TrustedName(ctx, k)
	switch {
	case ok && name != "":
		return fmt.Sprintf("Signed by %s (%s).", name, k.Fingerprint())
	case ok:
		return fmt.Sprintf("Signed by a trusted key (%s).", k.Fingerprint())
	}
	return fmt.Sprintf("Signed by a key you do not trust (%s): imported on your word.", k.Fingerprint())
}

// bundle exports and imports saved news: one file to carry to someone
// whose network is down.
func (c *cli) bundle(ctx context.Context, args []string) error {
	fs := c.flags("bundle")
	var sourceIDs stringList
	fs.Var(&sourceIDs, "source", "export only this source (by ID); may be given many times")
	days := fs.Int("days", 0, "export only articles of the last N days (0: all)")
	since := fs.String("since", "", "last: export only what is new since the last export to the file's folder")
	accept := fs.Bool("accept", false, "import a bundle of a key you do not trust (or an unsigned one) this once")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 2 || (rest[0] != "import" && rest[0] != "export") {
		return usagef("use 'bundle export FILE [--source ID]... [--days N] [--since last]' or 'bundle import FILE [--accept]'")
	}
	if rest[0] == "import" {
		if len(sourceIDs) > 0 || *days != 0 || *since != "" {
			return usagef("--source, --days and --since choose what to export; import takes the whole file")
		}
		return c.bundleImport(ctx, rest[1], *accept)
	}
	if *accept {
		return usagef("--accept is for import")
	}
	if *since != "" && *since != "last" {
		return usagef("--since takes 'last' (what is new since the last export to that folder)")
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
	if *since == "last" {
		return c.bundleExportSince(ctx, rest[1], opt)
	}
	return c.bundleExport(ctx, rest[1], opt)
}

// bundleExportSince writes what is new since the last export to the
// file's folder.
func (c *cli) bundleExportSince(ctx context.Context, path string, opt cache.BundleOptions) error {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ex, err := a.ExportSince(ctx, path, opt)
	if errors.Is(err, cache.ErrNotFound) {
		return usagef("%v: see kabootar sources list", err)
	}
	if err != nil {
		return err
	}
	if ex.Path == "" {
		fmt.Fprintf(c.stdout, "Nothing new since the last export to %s (%s); no file written.\n", ex.Since.Place, ex.Since.At.Format("2006-01-02 15:04"))
		return nil
	}
	fmt.Fprintf(c.stdout, "Exported %d new articles from %d sources, with %d images (%.1f MB), signed, to %s\n",
		ex.Articles, ex.Sources, ex.Media, float64(ex.MediaBytes)/(1<<20), ex.Path)
	return nil
}

// bundleExport writes the bundle through writeFile: a failed export never
// leaves half a bundle under the name.
func (c *cli) bundleExport(ctx context.Context, path string, opt cache.BundleOptions) error {
	// Every image passes through once; the collector keeps their garbage
	// from piling up (the bundle itself is streamed to the file).
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
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
	fmt.Fprintf(c.stdout, "Exported %d articles from %d sources, with %d images (%.1f MB), signed, to %s\n",
		st.Articles, st.Sources, st.Media, float64(st.MediaBytes)/(1<<20), path)
	return nil
}

func (c *cli) bundleImport(ctx context.Context, path string, accept bool) error {
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
	st, err := a.ImportBundle(ctx, f, app.ImportOptions{Accept: accept})
	var again *app.AlreadyImportedError
	if errors.As(err, &again) {
		fmt.Fprintf(c.stdout, "%s: %v\n", path, err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(c.stdout, "Imported %d articles (%d were here already) and %d images; %d new sources of %d.\n",
		st.Articles, st.Existing, st.Media, st.Sources, st.SourcesSeen)
	fmt.Fprintln(c.stdout, c.signedBy(ctx, a, st.Signer))
	return nil
}
