package cache

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kabootar/kabootar/internal/keys"
)

// TrustedKey is a key whose bundles are imported without asking.
type TrustedKey struct {
	Key   keys.PublicKey
	Name  string
	Added time.Time
}

// Trust adds key (or renames it, when it is trusted already).
func (s *Store) Trust(ctx context.Context, key keys.PublicKey, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO trusted_keys (key, name, added) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END`,
			key.String(), name, s.now().Unix())
		return err
	})
}

// Untrust removes the trusted key with this fingerprint (as
// keys.NormalizeFingerprint gives it). ErrNotFound when none has it.
func (s *Store) Untrust(ctx context.Context, fingerprint string) (TrustedKey, error) {
	all, err := s.TrustedKeys(ctx)
	if err != nil {
		return TrustedKey{}, err
	}
	for _, k := range all {
		if k.Key.Fingerprint() == fingerprint {
			return k, s.tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `DELETE FROM trusted_keys WHERE key = ?`, k.Key.String())
				return err
			})
		}
	}
	return TrustedKey{}, ErrNotFound
}

// TrustedKeys lists the trusted keys, by name.
func (s *Store) TrustedKeys(ctx context.Context) ([]TrustedKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, name, added FROM trusted_keys ORDER BY name, added`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []TrustedKey
	for rows.Next() {
		var text, name string
		var added int64
		if err := rows.Scan(&text, &name, &added); err != nil {
			return nil, err
		}
		k, err := keys.ParsePublicKey(text)
		if err != nil {
			continue // not written by Trust; never trusted by mistake
		}
		out = append(out, TrustedKey{Key: k, Name: name, Added: time.Unix(added, 0)})
	}
	return out, classify(rows.Err())
}

// TrustedName is the name a trusted key was given, and whether it is
// trusted at all.
func (s *Store) TrustedName(ctx context.Context, key keys.PublicKey) (string, bool, error) {
	var name string
	err := s.db.QueryRowContext(ctx, `SELECT name FROM trusted_keys WHERE key = ?`, key.String()).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return name, err == nil, classify(err)
}

// Provenance is where an article came from.
type Provenance struct {
	// Bundle: it came in a bundle, not fetched here.
	Bundle bool
	// Signer signed that bundle; nil for an unsigned (older) one.
	Signer keys.PublicKey
	// Name is what the reader calls the signer ("" when not trusted).
	Name string
	// Signed is when the bundle was made.
	Signed time.Time
}

// viaUnsigned marks an article of an unsigned bundle.
const viaUnsigned = "unsigned"

// ArticleProvenance says where the article came from.
func (s *Store) ArticleProvenance(ctx context.Context, articleID int64) (Provenance, error) {
	var via, name string
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT a.via, a.via_at, coalesce(t.name, '') FROM articles a
		LEFT JOIN trusted_keys t ON t.key = a.via WHERE a.id = ?`, articleID).Scan(&via, &at, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return Provenance{}, ErrNotFound
	}
	if err != nil || via == "" {
		return Provenance{}, classify(err)
	}
	p := Provenance{Bundle: true, Name: name, Signed: time.Unix(at, 0)}
	if via != viaUnsigned {
		p.Signer, _ = keys.ParsePublicKey(via)
	}
	return p, nil
}

// bundleRead is when the bundle with this ID was imported, or zero.
func (s *Store) bundleRead(ctx context.Context, id string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT at FROM bundles_read WHERE id = ?`, id).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, classify(err)
	}
	return time.Unix(at, 0), nil
}

// Export is where the incremental exports to one place stopped.
type Export struct {
	Place    string
	LastID   int64
	At       time.Time
	Articles int
	File     string
}

// LastExport is the last export to place, or a zero Export.
func (s *Store) LastExport(ctx context.Context, place string) (Export, error) {
	e := Export{Place: place}
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT last_id, at, articles, file FROM exports WHERE place = ?`, place).
		Scan(&e.LastID, &at, &e.Articles, &e.File)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil
	}
	if err != nil {
		return e, classify(err)
	}
	e.At = time.Unix(at, 0)
	return e, nil
}

// SaveExport remembers an export, once its file is in place.
func (s *Store) SaveExport(ctx context.Context, e Export) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO exports (place, last_id, at, articles, file) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (place) DO UPDATE SET last_id = excluded.last_id, at = excluded.at, articles = excluded.articles, file = excluded.file`,
			e.Place, e.LastID, e.At.Unix(), e.Articles, e.File)
		return err
	})
}

// Share-folder file states.
const (
	ShareImported  = "imported"
	ShareUntrusted = "untrusted"
	ShareRefused   = "refused"
	ShareOwn       = "own"
)

// ShareFile is a bundle file seen in the share folder, and what became of
// it.
type ShareFile struct {
	Path     string
	Size     int64
	ModTime  time.Time
	State    string
	Signer   keys.PublicKey
	Detail   string // why it was refused
	Articles int
	At       time.Time
}

// ShareFiles lists the files seen, the newest first.
func (s *Store) ShareFiles(ctx context.Context) ([]ShareFile, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path, size, mtime, state, signer, detail, articles, at FROM share_files ORDER BY at DESC, path`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []ShareFile
	for rows.Next() {
		var f ShareFile
		var signer string
		var mtime, at int64
		if err := rows.Scan(&f.Path, &f.Size, &mtime, &f.State, &signer, &f.Detail, &f.Articles, &at); err != nil {
			return nil, err
		}
		f.Signer, _ = keys.ParsePublicKey(signer)
		f.ModTime, f.At = time.Unix(0, mtime), time.Unix(at, 0)
		out = append(out, f)
	}
	return out, classify(rows.Err())
}

// SaveShareFile remembers what became of a file in the share folder.
func (s *Store) SaveShareFile(ctx context.Context, f ShareFile) error {
	signer := ""
	if f.Signer != nil {
		signer = f.Signer.String()
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO share_files (path, size, mtime, state, signer, detail, articles, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, state = excluded.state,
			signer = excluded.signer, detail = excluded.detail, articles = excluded.articles, at = excluded.at`,
			f.Path, f.Size, f.ModTime.UnixNano(), f.State, signer, f.Detail, f.Articles, s.now().Unix())
		return err
	})
}

// ForgetShareFiles forgets the files seen whose paths are not in keep
// (deleted or pruned), so the table stays as small as the folder.
func (s *Store) ForgetShareFiles(ctx context.Context, keep map[string]bool) error {
	files, err := s.ShareFiles(ctx)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, f := range files {
			if !keep[f.Path] {
				if _, err := tx.ExecContext(ctx, `DELETE FROM share_files WHERE path = ?`, f.Path); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
