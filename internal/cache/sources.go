package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Source kinds.
const (
	KindFeed     = "feed"
	KindTelegram = "telegram"
	KindBridge   = "bridge"
)

// Source is something Kabootar follows, with what the last refresh learned.
type Source struct {
	ID           int64
	Kind         string
	URL          string
	Name         string
	SiteURL      string
	Mirrors      []string
	ETag         string
	LastModified string
	LastOK       time.Time
	LastError    string
	LastVerdict  string
	LastRoute    string
	LastURL      string // the address that served it last: its own, or a mirror
	NextDue      time.Time
	Failures     int
	Created      time.Time
	Unread       int    // filled by Sources and Source
	Cursor       string // where the last reading stopped (a channel's newest post)
	FullText     bool   // fetch each article's page and keep its full text
}

const sourceCols = `id, kind, url, name, site_url, mirrors, etag, last_modified, last_ok,
	last_error, last_verdict, last_route, next_due, failures, created, cursor, full_text, last_url,
	(SELECT count(*) FROM articles a WHERE a.source_id = sources.id AND a.read = 0)`

func scanSource(row interface{ Scan(...any) error }) (Source, error) {
	var s Source
	var mirrors string
	var lastOK, nextDue, created int64
	err := row.Scan(&s.ID, &s.Kind, &s.URL, &s.Name, &s.SiteURL, &mirrors, &s.ETag, &s.LastModified,
		&lastOK, &s.LastError, &s.LastVerdict, &s.LastRoute, &nextDue, &s.Failures, &created, &s.Cursor, &s.FullText, &s.LastURL, &s.Unread)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(mirrors), &s.Mirrors); err != nil {
		return s, fmt.Errorf("source %d: mirrors: %w", s.ID, err)
	}
	s.LastOK, s.NextDue, s.Created = fromUnix(lastOK), fromUnix(nextDue), fromUnix(created)
	return s, nil
}

// AddSource stores a new source and returns its ID. A source whose URL is
// already followed gives ErrExists.
func (s *Store) AddSource(ctx context.Context, src Source) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = addSource(ctx, tx, src, s.now())
		return err
	})
	return id, err
}

// AddSources stores many sources in one transaction: all of them or, on an
// error, none. Sources already followed are skipped; the count added is
// returned.
func (s *Store) AddSources(ctx context.Context, srcs []Source) (int, error) {
	added := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, src := range srcs {
			if _, err := addSource(ctx, tx, src, s.now()); err != nil {
				if errors.Is(err, ErrExists) {
					continue
				}
				return err
			}
			added++
		}
		return nil
	})
	return added, err
}

func addSource(ctx context.Context, tx *sql.Tx, src Source, now time.Time) (int64, error) {
	if src.Kind == "" {
		src.Kind = KindFeed
	}
	if src.URL == "" {
		return 0, errors.New("a source needs a URL")
	}
	mirrors, err := json.Marshal(nonNil(src.Mirrors))
	if err != nil {
		return 0, err
	}
	src.Name, src.SiteURL = CleanText(src.Name), WebURL(src.SiteURL)
	res, err := tx.ExecContext(ctx, `INSERT INTO sources (kind, url, name, site_url, mirrors, full_text, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, src.Kind, src.URL, src.Name, src.SiteURL, string(mirrors), src.FullText, now.Unix())
	if err != nil {
		var se *sqlite.Error
		if errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			return 0, fmt.Errorf("source %s: %w", src.URL, ErrExists)
		}
		return 0, err
	}
	return res.LastInsertId()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Source returns one source.
func (s *Store) Source(ctx context.Context, id int64) (Source, error) {
	src, err := scanSource(s.db.QueryRowContext(ctx, `SELECT `+sourceCols+` FROM sources WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return src, fmt.Errorf("source %d: %w", id, ErrNotFound)
	}
	return src, classify(err)
}

// Sources returns every source, in the order they were added.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	return s.querySources(ctx, `SELECT `+sourceCols+` FROM sources ORDER BY id`)
}

// DueSources returns the sources whose next refresh is due at now.
func (s *Store) DueSources(ctx context.Context, now time.Time) ([]Source, error) {
	return s.querySources(ctx, `SELECT `+sourceCols+` FROM sources WHERE next_due <= ? ORDER BY next_due, id`, now.Unix())
}

func (s *Store) querySources(ctx context.Context, q string, args ...any) ([]Source, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, classify(rows.Err())
}

// RemoveSource deletes a source and its articles (starred ones too: the
// reader asked for the source to go).
func (s *Store) RemoveSource(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sources WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("source %d: %w", id, ErrNotFound)
		}
		return sweepMedia(ctx, tx)
	})
}

// Failure is what a failed refresh of a source learned.
type Failure struct {
	Verdict string
	Error   string
	Route   string
	NextDue time.Time
}

// SaveFailure records a failed refresh. The source's articles, validators
// and last success are left as they were.
func (s *Store) SaveFailure(ctx context.Context, id int64, f Failure) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sources SET last_error = ?, last_verdict = ?,
			last_route = CASE WHEN ? = '' THEN last_route ELSE ? END,
			next_due = ?, failures = failures + 1 WHERE id = ?`,
			f.Error, f.Verdict, f.Route, f.Route, unix(f.NextDue), id)
		return err
	})
}

// RenameSource gives a source the name a reader chose.
func (s *Store) RenameSource(ctx context.Context, id int64, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE sources SET name = ? WHERE id = ?`, name, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("source %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// SetMirrors replaces a source's mirrors.
func (s *Store) SetMirrors(ctx context.Context, id int64, mirrors []string) error {
	b, err := json.Marshal(nonNil(mirrors))
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE sources SET mirrors = ? WHERE id = ?`, string(b), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("source %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
