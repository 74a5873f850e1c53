package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

// The shared folder: after each refresh an incremental signed bundle of
// what this reader fetched goes there; the bundles of trusted keys found
// there are imported. Any folder works (a USB stick, a shared drive);
// Syncthing carries one between machines with no internet.

// ShareStatus is the shared folder and what was seen in it.
type ShareStatus struct {
	Share
	// Files are the bundles seen there, the newest first: own, imported,
	// waiting for the reader (untrusted) and refused.
	Files []cache.ShareFile
	// LastSent is the last bundle written there.
	LastSent cache.Export
}

// ShareReport is what one round in the shared folder did.
type ShareReport struct {
	Dir string
	// Received are the bundles imported this round; Articles their new
	// articles.
	Received []cache.ShareFile
	Articles int
	// Waiting are bundles of keys not trusted, for the reader to accept.
	Waiting []cache.ShareFile
	// Refused are bundles refused this round (damaged or forged).
	Refused []cache.ShareFile
	// Sent is the bundle written ("" path: nothing new).
	Sent Exported
	// Pruned is how many old own bundles were removed.
	Pruned int
	// Err is why the round could not read or write the folder.
	Err error
}

// SetShare turns sharing on in dir (made when missing), or off with "".
func (a *App) SetShare(ctx context.Context, dir string, keepDays, maxMB int) (Share, error) {
	s, err := LoadShare(ctx, a.store)
	if err != nil && !errors.Is(err, ErrSettings) {
		return s, err
	}
	if keepDays > 0 {
		s.KeepDays = keepDays
	}
	if maxMB > 0 {
		s.MaxMB = maxMB
	}
	s.Dir = ""
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return s, inputf("%q: %v", dir, err)
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return s, inputf("the folder %s cannot be made: %v", abs, err)
		}
		if info, err := os.Stat(abs); err != nil || !info.IsDir() {
			return s, inputf("%s is not a folder", abs)
		}
		s.Dir = abs
	}
	return s, s.Save(ctx, a.store)
}

// ShareStatus says where sharing stands.
func (a *App) ShareStatus(ctx context.Context) (ShareStatus, error) {
	s, err := LoadShare(ctx, a.store)
	st := ShareStatus{Share: s}
	if err != nil || s.Dir == "" {
		return st, err
	}
	if st.Files, err = a.store.ShareFiles(ctx); err != nil {
		return st, err
	}
	st.LastSent, err = a.store.LastExport(ctx, s.Dir)
	return st, err
}

// ShareRound reads the folder, then writes to it and prunes: what a
// refresh does (found offline or not, with sources or none), and the
// window when the folder changes. Nothing is done when sharing is off.
func (a *App) ShareRound(ctx context.Context, send bool) ShareReport {
	a.shareMu.Lock()
	defer a.shareMu.Unlock()
	s, err := LoadShare(ctx, a.store)
	rep := ShareReport{Dir: s.Dir}
	if err != nil {
		rep.Err = err
		return rep
	}
	if s.Dir == "" {
		return rep
	}
	if err := a.receive(ctx, s, &rep); err != nil {
		rep.Err = err
		return rep
	}
	if !send {
		return rep
	}
	if err := a.send(ctx, s, &rep); err != nil {
		rep.Err = err
		return rep
	}
	rep.Pruned, rep.Err = a.prune(ctx, s)
	return rep
}

// errOwn is a bundle of this reader's own key, found in the folder.
var errOwn = errors.New("a bundle of your own")

// receive imports the new bundles of trusted keys; the others are noted.
func (a *App) receive(ctx context.Context, s Share, rep *ShareReport) error {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return fmt.Errorf("the shared folder %s cannot be read: %w", s.Dir, err)
	}
	files, err := a.store.ShareFiles(ctx)
	if err != nil {
		return err
	}
	known := map[string]cache.ShareFile{}
	for _, f := range files {
		known[f.Path] = f
	}
	me, err := a.Identity()
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".zip") || !e.Type().IsRegular() {
			continue // temporary files (ours, Syncthing's) and others
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		path := filepath.Join(s.Dir, name)
		present[path] = true
		k, seen := known[path]
		if seen && k.Size == info.Size() && k.ModTime.Equal(info.ModTime()) {
			// Seen as it is: only a bundle waiting on a key trusted since
			// is read again.
			if k.State != cache.ShareUntrusted || k.Signer == nil {
				continue
			}
			if _, ok, err := a.store.TrustedName(ctx, k.Signer); err != nil || !ok {
				continue
			}
		}
		f := cache.ShareFile{Path: path, Size: info.Size(), ModTime: info.ModTime()}
		st, err := a.importShared(ctx, path, me.Public())
		f.Signer, f.Articles = st.Signer, st.Articles
		var unknown *UnknownSignerError
		var again *AlreadyImportedError
		switch {
		case err == nil:
			f.State = cache.ShareImported
			rep.Received = append(rep.Received, f)
			rep.Articles += st.Articles
		case errors.Is(err, errOwn):
			f.State = cache.ShareOwn
		case errors.As(err, &again):
			f.State = cache.ShareImported
		case errors.As(err, &unknown):
			f.State, f.Signer, f.Articles = cache.ShareUntrusted, unknown.Info.Signer, unknown.Info.Articles
			f.Detail = err.Error()
			rep.Waiting = append(rep.Waiting, f)
		case errors.Is(err, cache.ErrBadBundle), errors.Is(err, fs.ErrNotExist):
			f.State, f.Detail = cache.ShareRefused, err.Error()
			rep.Refused = append(rep.Refused, f)
			a.log.Warn("refused a bundle in the shared folder", "file", path, "err", err)
		default:
			return fmt.Errorf("%s: %w", path, err) // the cache failed: tried again next time
		}
		if err := a.store.SaveShareFile(ctx, f); err != nil {
			return err
		}
	}
	return a.store.ForgetShareFiles(ctx, present)
}

// openBundle opens a bundle file with what is known of it (its size: a
// zip is read from its end).
func openBundle(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// importShared imports one bundle of the folder: a trusted key's only.
func (a *App) importShared(ctx context.Context, path string, me keys.PublicKey) (cache.BundleStats, error) {
	f, info, err := openBundle(path)
	if err != nil {
		return cache.BundleStats{}, err
	}
	defer f.Close()
	policy := a.accept(ctx, ImportOptions{})
	st, err := a.store.ImportBundle(ctx, f, info.Size(), importRules(func(i cache.BundleInfo) error {
		if i.Signer != nil && i.Signer.Equal(me) {
			return errOwn
		}
		return policy(i)
	}))
	if err == nil {
		_, err = a.store.EnforceMediaBudget(ctx)
	}
	return st, err
}

// send writes what is new since the last bundle sent there.
func (a *App) send(ctx context.Context, s Share, rep *ShareReport) error {
	me, err := a.Identity()
	if err != nil {
		return err
	}
	name := fmt.Sprintf("kabootar-%s-%s.zip", strings.ReplaceAll(me.Public().Fingerprint()[:11], " ", ""),
		time.Now().UTC().Format("20060102T150405.000Z"))
	ex, err := a.ExportSince(ctx, filepath.Join(s.Dir, name), cache.BundleOptions{OwnOnly: true})
	if err != nil {
		return fmt.Errorf("a bundle could not be written into the shared folder %s: %w", s.Dir, err)
	}
	rep.Sent = ex
	if ex.Path == "" {
		return nil
	}
	info, err := os.Stat(ex.Path)
	if err != nil {
		return err
	}
	return a.store.SaveShareFile(ctx, cache.ShareFile{Path: ex.Path, Size: info.Size(), ModTime: info.ModTime(),
		State: cache.ShareOwn, Signer: me.Public(), Articles: ex.Articles})
}

// prune removes own bundles older than the days kept, then the oldest
// while they take more than the size kept; the newest always stays.
func (a *App) prune(ctx context.Context, s Share) (int, error) {
	files, err := a.store.ShareFiles(ctx)
	if err != nil {
		return 0, err
	}
	var own []cache.ShareFile
	for _, f := range files {
		if f.State == cache.ShareOwn && filepath.Dir(f.Path) == s.Dir {
			own = append(own, f)
		}
	}
	slices.SortFunc(own, func(x, y cache.ShareFile) int { return y.ModTime.Compare(x.ModTime) }) // newest first
	var total int64
	removed := 0
	cutoff := time.Now().Add(-time.Duration(s.KeepDays) * 24 * time.Hour)
	for i, f := range own {
		total += f.Size
		if i == 0 || (!f.ModTime.Before(cutoff) && total <= int64(s.MaxMB)<<20) {
			continue
		}
		if err := os.Remove(f.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("an old bundle could not be removed from the shared folder: %w", err)
		}
		removed++
	}
	return removed, nil
}

// AcceptShared imports a bundle of the shared folder that waits for the
// reader (a key not trusted), as o says: once, or trusting its signer.
func (a *App) AcceptShared(ctx context.Context, path string, o ImportOptions) (cache.BundleStats, error) {
	a.shareMu.Lock()
	defer a.shareMu.Unlock()
	f, info, err := openBundle(path)
	if err != nil {
		return cache.BundleStats{}, err
	}
	defer f.Close()
	st, err := a.ImportBundle(ctx, f, o)
	var again *AlreadyImportedError
	if err != nil && !errors.As(err, &again) {
		return st, err
	}
	return st, a.store.SaveShareFile(ctx, cache.ShareFile{Path: path, Size: info.Size(), ModTime: info.ModTime(),
		State: cache.ShareImported, Signer: st.Signer, Articles: st.Articles})
}
