package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// included, signed with the reader's key.
func (a *App) ExportBundle(ctx context.Context, w io.Writer, opt cache.BundleOptions) (cache.BundleStats, error) {
	id, err := a.Identity()
	if err != nil {
		return cache.BundleStats{}, err
	}
	opt.Signer = id
	return a.store.ExportBundle(ctx, w, opt)
}

// Exported is what an export to a place did.
type Exported struct {
	cache.BundleStats
	// Path is the file written; "" when there was nothing new to send.
	Path string
	// Since is the last export to the same place (zero: none).
	Since cache.Export
}

// ExportSince writes into path's folder what is new since the last
// export there (everything, the first time), signed. Nothing new: no
// file, and Path is "". The file is written under a temporary name and
// renamed, so a half-written bundle is never seen under its name (by a
// reader of the folder, or by Syncthing).
func (a *App) ExportSince(ctx context.Context, path string, opt cache.BundleOptions) (Exported, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Exported{}, err
	}
	place := filepath.Dir(abs)
	last, err := a.store.LastExport(ctx, place)
	if err != nil {
		return Exported{}, err
	}
	opt.AfterID = last.LastID
	if last.LastID > 0 {
		opt.ImagesSince = last.At // articles sent then whose images came since go again
	}
	started := time.Now() // the next export looks for images from here
	out := Exported{Since: last}
	err = writeAtomic(abs, func(w io.Writer) error {
		st, err := a.ExportBundle(ctx, w, opt)
		out.BundleStats = st
		if err == nil && st.Articles == 0 {
			return errNothingNew
		}
		return err
	})
	if errors.Is(err, errNothingNew) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Path = abs
	return out, a.store.SaveExport(ctx, cache.Export{Place: place, LastID: out.LastID, At: started, Articles: out.Articles, File: abs})
}

var errNothingNew = errors.New("nothing new")

// writeAtomic writes path through fill, under a hidden temporary name in
// the same folder, renamed when complete; on failure nothing is left.
func writeAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kabootar-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", filepath.Dir(path), err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 256<<10)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ImportOptions are the reader's word on a bundle.
type ImportOptions struct {
	// Accept imports a bundle from a key not trusted (or an unsigned
	// one) this once.
	Accept bool
	// Trust trusts its signer first, under Name.
	Trust bool
	Name  string
}

// UnknownSignerError is a bundle that verifies but whose signer is not
// trusted, or that is not signed: imported only on the reader's word.
type UnknownSignerError struct{ Info cache.BundleInfo }

func (e *UnknownSignerError) Error() string {
	if e.Info.Signer == nil {
		return fmt.Sprintf("this bundle (%d articles) is not signed: it was made by an older Kabootar, or by anyone; import it only if you know where it came from (--accept)", e.Info.Articles)
	}
	return fmt.Sprintf("this bundle (%d articles) is signed by a key you do not trust yet, with fingerprint %s; compare the fingerprint with the person who made it, then trust them (kabootar keys trust FILE --name NAME) or import it once (--accept)",
		e.Info.Articles, e.Info.Signer.Fingerprint())
}

// AlreadyImportedError is a bundle imported before: nothing in it is new.
type AlreadyImportedError struct{ At time.Time }

func (e *AlreadyImportedError) Error() string {
	return fmt.Sprintf("this bundle was imported already, on %s; nothing changed", e.At.Format("2006-01-02 15:04"))
}

// importRules are the bundle rules of feeds, with accept deciding.
func importRules(accept func(cache.BundleInfo) error) cache.ImportRules {
	return cache.ImportRules{Clean: feeds.NewParser().Clean, IsBridge: feeds.IsBridgeSource, Accept: accept}
}

// accept is the import policy: a bundle read before is a replay; one of
// the reader's own key or a trusted key comes in; any other only on the
// reader's word.
func (a *App) accept(ctx context.Context, o ImportOptions) func(cache.BundleInfo) error {
	return func(i cache.BundleInfo) error {
		if !i.ReadAt.IsZero() {
			return &AlreadyImportedError{At: i.ReadAt}
		}
		if i.Signer != nil {
			if id, err := a.Identity(); err == nil && id.Public().Equal(i.Signer) {
				return nil
			}
			if o.Trust {
				return a.store.Trust(ctx, i.Signer, o.Name)
			}
			if _, ok, err := a.store.TrustedName(ctx, i.Signer); err != nil || ok {
				return err
			}
		}
		if o.Accept {
			return nil
		}
		return &UnknownSignerError{Info: i}
	}
}

// ImportBundle reads a bundle from r: a file as it is, anything else (the
// window's file picker) through a temporary file, since a zip is read from
// its end. It is verified whole first and imported as the policy says
// (accept). Its articles obey the same rules as fetched ones; images past
// the budget go, least recently read first.
func (a *App) ImportBundle(ctx context.Context, r io.Reader, o ImportOptions) (cache.BundleStats, error) {
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
	st, err := a.store.ImportBundle(ctx, f, info.Size(), importRules(a.accept(ctx, o)))
	if err != nil {
		return st, err
	}
	if _, err := a.store.EnforceMediaBudget(ctx); err != nil {
		return st, err
	}
	return st, nil
}
