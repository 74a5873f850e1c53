package cache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Media is a stored image (or other media) of one or more articles.
type Media struct {
	URL  string
	MIME string
	Data []byte
}

// Media budget settings: images are kept until their total passes the
// budget, then the least recently read go first.
const (
	SettingMediaBudgetMB = "media.budget_mb"
	DefaultMediaBudgetMB = 500
)

// PutMedia stores m for an article. The content is kept once per hash,
// whatever URLs serve it.
func (s *Store) PutMedia(ctx context.Context, articleID int64, m Media) error {
	return s.SaveMedia(ctx, []MediaResult{{ArticleID: articleID, URL: m.URL, Media: &m}}, nil)
}

// MediaFailed records that an article's media could not be fetched.
func (s *Store) MediaFailed(ctx context.Context, articleID int64, url, reason string) error {
	return s.SaveMedia(ctx, []MediaResult{{ArticleID: articleID, URL: url, Failed: reason}}, nil)
}

// MediaResult is how fetching one medium of an article went: Media when
// it came, Failed (the reason) when it did not, neither when it was stored
// already and only needs linking to the article.
type MediaResult struct {
	ArticleID int64
	URL       string
	Media     *Media
	Failed    string
}

// SaveMedia stores many media results, then marks the articles done (as
// MediaDone does), in one transaction: a refresh's thousands of images
// cost a few writes, not one each.
func (s *Store) SaveMedia(ctx context.Context, results []MediaResult, done []int64) error {
	if len(results) == 0 && len(done) == 0 {
		return nil
	}
	now := s.now().Unix()
	return s.tx(ctx, func(tx *sql.Tx) error {
		w, err := prepareMediaWriter(ctx, tx)
		if err != nil {
			return err
		}
		defer w.close()
		for _, r := range results {
			if err := w.save(ctx, r, now); err != nil {
				return err
			}
		}
		return markMediaDone(ctx, tx, done)
	})
}

// mediaWriter holds SaveMedia's statements, prepared once a transaction:
// parsing SQL for each of a refresh's thousands of images costs more than
// storing them. A new image is inserted and linked by the ids its inserts
// gave, not looked up again by hash and URL; only one stored before takes
// the second statement of each pair.
type mediaWriter struct {
	blobNew, blobOld, mediaNew, mediaOld, failed, link, linkID *sql.Stmt
}

func prepareMediaWriter(ctx context.Context, tx *sql.Tx) (*mediaWriter, error) {
	w := &mediaWriter{}
	if err := prepare(ctx, tx,
		stmt{&w.blobNew, `INSERT INTO blobs (hash, mime, data, size, last_read) VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`},
		stmt{&w.blobOld, `UPDATE blobs SET last_read = ? WHERE hash = ? RETURNING id`},
		stmt{&w.mediaNew, `INSERT INTO media (url, mime, size, fetched, blob_id, error) VALUES (?, ?, ?, ?, ?, '') ON CONFLICT (url) DO NOTHING`},
		stmt{&w.mediaOld, `UPDATE media SET mime = ?, size = ?, fetched = ?, blob_id = ?, error = '' WHERE url = ? RETURNING id`},
		stmt{&w.failed, `INSERT INTO media (url, fetched, error) VALUES (?, ?, ?)
			ON CONFLICT (url) DO UPDATE SET fetched = excluded.fetched,
				error = CASE WHEN media.blob_id IS NULL THEN excluded.error ELSE media.error END
			RETURNING id`},
		stmt{&w.link, `INSERT OR IGNORE INTO article_media (article_id, media_id) SELECT ?, id FROM media WHERE url = ?`},
		stmt{&w.linkID, `INSERT OR IGNORE INTO article_media (article_id, media_id) VALUES (?, ?)`},
	); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *mediaWriter) close() {
	closeStmts(w.blobNew, w.blobOld, w.mediaNew, w.mediaOld, w.failed, w.link, w.linkID)
}

func (w *mediaWriter) save(ctx context.Context, r MediaResult, now int64) error {
	var id int64
	var err error
	switch {
	case r.Media != nil:
		sum := sha256.Sum256(r.Media.Data)
		hash := hex.EncodeToString(sum[:])
		size := len(r.Media.Data)
		var blob int64
		if blob, err = insertOr(ctx, w.blobNew, w.blobOld, []any{hash, r.Media.MIME, r.Media.Data, size, now}, now, hash); err != nil {
			return err
		}
		id, err = insertOr(ctx, w.mediaNew, w.mediaOld, []any{r.URL, r.Media.MIME, size, now, blob}, r.Media.MIME, size, now, blob, r.URL)
	case r.Failed != "":
		err = w.failed.QueryRowContext(ctx, r.URL, now, r.Failed).Scan(&id)
	default:
		_, err = w.link.ExecContext(ctx, r.ArticleID, r.URL)
		return err
	}
	if err != nil {
		return err
	}
	_, err = w.linkID.ExecContext(ctx, r.ArticleID, id)
	return err
}

// insertOr runs insert (which does nothing on a conflict) and gives the new
// row's id; when the row was there, it runs update, which returns its id.
func insertOr(ctx context.Context, insert, update *sql.Stmt, args []any, updateArgs ...any) (int64, error) {
	res, err := insert.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if n == 1 {
		return res.LastInsertId()
	}
	var id int64
	err = update.QueryRowContext(ctx, updateArgs...).Scan(&id)
	return id, err
}

// HasMedia says whether url's content is stored.
func (s *Store) HasMedia(ctx context.Context, url string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM media WHERE url = ? AND blob_id IS NOT NULL`, url).Scan(&n)
	return n > 0, classify(err)
}

// StoredMedia says which of urls have their content stored: one query for
// a batch of articles' images, not one each.
func (s *Store) StoredMedia(ctx context.Context, urls []string) (map[string]bool, error) {
	out := map[string]bool{}
	const chunk = 500 // under SQLite's limit on parameters
	for len(urls) > 0 {
		n := min(len(urls), chunk)
		args := make([]any, n)
		for i, u := range urls[:n] {
			args[i] = u
		}
		rows, err := s.db.QueryContext(ctx, `SELECT url FROM media WHERE blob_id IS NOT NULL AND url IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
		if err != nil {
			return nil, classify(err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, err
			}
			out[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, classify(err)
		}
		urls = urls[n:]
	}
	return out, nil
}

// LinkMedia links stored media to one more article.
func (s *Store) LinkMedia(ctx context.Context, articleID int64, url string) error {
	return s.SaveMedia(ctx, []MediaResult{{ArticleID: articleID, URL: url}}, nil)
}

// Media returns the media stored under url, and counts it as read now.
func (s *Store) Media(ctx context.Context, url string) (Media, error) {
	m := Media{URL: url}
	var blob int64
	err := s.db.QueryRowContext(ctx, `SELECT b.mime, b.data, b.id FROM media m JOIN blobs b ON b.id = m.blob_id WHERE m.url = ?`, url).Scan(&m.MIME, &m.Data, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("media %s: %w", url, ErrNotFound)
	}
	if err != nil {
		return m, classify(err)
	}
	return m, s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET last_read = ? WHERE id = ?`, s.now().Unix(), blob)
		return err
	})
}

// MediaState is one medium of an article, as `show` lists it.
type MediaState struct {
	URL    string
	Cached bool
	Size   int
	Error  string
}

// ArticleMedia lists an article's media and whether each is stored.
func (s *Store) ArticleMedia(ctx context.Context, articleID int64) ([]MediaState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.url, m.blob_id IS NOT NULL, m.size, m.error FROM article_media am
		JOIN media m ON m.id = am.media_id WHERE am.article_id = ? ORDER BY m.id`, articleID)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []MediaState
	for rows.Next() {
		var m MediaState
		if err := rows.Scan(&m.URL, &m.Cached, &m.Size, &m.Error); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, classify(rows.Err())
}

// TouchArticleMedia counts an article's media as read now, so that the
// budget keeps them over media nobody opened.
func (s *Store) TouchArticleMedia(ctx context.Context, articleID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET last_read = ? WHERE id IN (SELECT m.blob_id FROM article_media am
			JOIN media m ON m.id = am.media_id WHERE am.article_id = ?)`, s.now().Unix(), articleID)
		return err
	})
}

// MediaDone marks articles' media as tried, and each article complete
// offline when every one of its media is stored: one transaction for all.
func (s *Store) MediaDone(ctx context.Context, articleIDs ...int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return markMediaDone(ctx, tx, articleIDs) })
}

func markMediaDone(ctx context.Context, tx *sql.Tx, articleIDs []int64) error {
	if len(articleIDs) == 0 {
		return nil
	}
	var done, tried *sql.Stmt
	if err := prepare(ctx, tx,
		stmt{&done, `DELETE FROM offline_todo WHERE article_id = ? AND NOT EXISTS (
			SELECT 1 FROM article_media am JOIN media m ON m.id = am.media_id
			WHERE am.article_id = offline_todo.article_id AND m.blob_id IS NULL)`},
		stmt{&tried, `UPDATE offline_todo SET tried = 1 WHERE article_id = ?`},
	); err != nil {
		return err
	}
	defer closeStmts(done, tried)
	for _, id := range articleIDs {
		r, err := done.ExecContext(ctx, id)
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil {
			return err
		} else if n == 0 { // some did not come (or it was done already)
			if _, err := tried.ExecContext(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Pending is an article whose media (and full text, when its source keeps
// it) are still to fetch.
type Pending struct {
	ID       int64
	SourceID int64
	URL      string
	HTML     string // only when Images is nil or the source keeps full text
	// Images are the addresses of its images as the parser listed them;
	// nil when not known (read them from HTML).
	Images   []string
	FullText bool
	Route    string // the route that last brought its source
}

// PendingMedia returns up to limit articles whose media were not tried.
func (s *Store) PendingMedia(ctx context.Context, limit int) ([]Pending, error) {
	return s.PendingMediaAfter(ctx, 0, limit)
}

// PendingMediaAfter is PendingMedia for the articles after the one with ID
// after: new articles have higher IDs, so a pass that works through them
// while a refresh stores more asks for what came since.
func (s *Store) PendingMediaAfter(ctx context.Context, after int64, limit int) ([]Pending, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.source_id, a.url,
			CASE WHEN t.images IS NULL OR s.full_text THEN a.html ELSE '' END, t.images, s.full_text, s.last_route
		FROM offline_todo t JOIN articles a ON a.id = t.article_id JOIN sources s ON s.id = a.source_id
		WHERE t.tried = 0 AND t.article_id > ? ORDER BY t.article_id LIMIT ?`, after, limit)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []Pending
	for rows.Next() {
		var p Pending
		var images sql.NullString
		if err := rows.Scan(&p.ID, &p.SourceID, &p.URL, &p.HTML, &images, &p.FullText, &p.Route); err != nil {
			return nil, err
		}
		if images.Valid {
			p.Images = []string{}
			if images.String != "" {
				p.Images = strings.Split(images.String, "\n")
			}
		}
		out = append(out, p)
	}
	return out, classify(rows.Err())
}

// EnforceMediaBudget removes the least recently read media until their
// total fits the budget (setting media.budget_mb), and marks the articles
// that lost some as no longer complete offline. It returns how many were
// removed.
func (s *Store) EnforceMediaBudget(ctx context.Context) (int, error) {
	mb, err := s.intSetting(ctx, SettingMediaBudgetMB, DefaultMediaBudgetMB)
	if err != nil {
		return 0, err
	}
	budget := int64(mb) << 20
	removed := 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var total int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM blobs`).Scan(&total); err != nil {
			return err
		}
		if total <= budget {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, size FROM blobs ORDER BY last_read, hash`)
		if err != nil {
			return err
		}
		var drop []int64
		for rows.Next() && total > budget {
			var h int64
			var size int64
			if err := rows.Scan(&h, &size); err != nil {
				rows.Close()
				return err
			}
			drop = append(drop, h)
			total -= size
		}
		rows.Close()
		for _, h := range drop {
			if _, err := tx.ExecContext(ctx, `UPDATE media SET blob_id = NULL, error = 'removed to keep the media budget' WHERE blob_id = ?`, h); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE id = ?`, h); err != nil {
				return err
			}
		}
		removed = len(drop)
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO offline_todo (article_id, tried)
			SELECT DISTINCT am.article_id, 1 FROM article_media am JOIN media m ON m.id = am.media_id WHERE m.blob_id IS NULL`)
		return err
	})
	return removed, err
}

// SetArticleContent replaces an article's content with its full text and
// indexes it for search.
func (s *Store) SetArticleContent(ctx context.Context, id int64, html, text string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var key int64
		var title string
		if err := tx.QueryRowContext(ctx, `SELECT search_key, title FROM articles WHERE id = ?`, id).Scan(&key, &title); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("article %d: %w", id, ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE articles SET html = ?, summary = ? WHERE id = ?`, html, summaryOf(text), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM articles_fts WHERE rowid = ?`, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)`, key, searchText(title), searchText(text))
		return err
	})
}

// SetFullText sets whether a source keeps its articles' full text.
func (s *Store) SetFullText(ctx context.Context, sourceID int64, on bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sources SET full_text = ? WHERE id = ?`, on, sourceID)
		return err
	})
}
