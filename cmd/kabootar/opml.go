package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kabootar/kabootar/internal/feeds"
)

func (c *cli) opml(ctx context.Context, args []string) error {
	fs := c.flags("opml")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 2 || (rest[0] != "import" && rest[0] != "export") {
		return usagef("use 'opml import FILE' or 'opml export FILE'")
	}
	if rest[0] == "import" {
		return c.opmlImport(ctx, rest[1])
	}
	return c.opmlExport(ctx, rest[1])
}

func (c *cli) opmlImport(ctx context.Context, path string) error {
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
	added, listed, err := a.ImportOPML(ctx, f)
	if errors.Is(err, feeds.ErrBadOPML) {
		return fmt.Errorf("%s: %w; nothing was imported", path, err)
	}
	if err != nil {
		return fmt.Errorf("importing %s: %w; nothing was imported", path, err)
	}
	fmt.Fprintf(c.stdout, "Imported %d sources", added)
	if skipped := listed - added; skipped > 0 {
		fmt.Fprintf(c.stdout, " (%d already followed)", skipped)
	}
	fmt.Fprintln(c.stdout, ". Run 'kabootar refresh' to fetch them.")
	return nil
}

// opmlExport writes the sources to path ("-" for stdout), through a
// temporary file, so that a failed export leaves an older file whole.
func (c *cli) opmlExport(ctx context.Context, path string) error {
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	if path == "-" {
		_, err := a.ExportOPML(ctx, c.stdout)
		return err
	}
	n := 0
	if err := writeFile(path, func(w io.Writer) (err error) { n, err = a.ExportOPML(ctx, w); return err }); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Exported %d sources to %s\n", n, path)
	return nil
}

// writeFile writes path through a temporary file beside it, renamed into
// place only when write succeeded, so that a failed export never leaves
// half a file under the name (nor breaks an older one).
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kabootar-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
