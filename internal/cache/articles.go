package cache

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Article is one item of a source, as stored.
type Article struct {
	ID        int64
	SourceID  int64
	GUID      string
	URL       string
	Title     string
	Author    string
	Published time.Time // zero from a feed: the time it was first seen
	Updated   time.Time
	Fetched   time.Time
	HTML      string // sanitised
	// Text is the plain text of HTML. SaveFetch indexes it for search and
	// keeps its start as Summary; the whole text is not stored twice, since
	// it can be made again from HTML (feeds.PlainText).
	Text    string
	Summary string
	Dir     string // "rtl" or "ltr"
	// HasImages says the HTML shows images, to fetch for offline reading.
	// An article without (from a source not kept in full text) needs
	// nothing more and is complete offline as stored.
	HasImages bool
	// Images are the absolute http(s) addresses of the images HTML shows,
	// once each, when the parser listed them: the images' pass then need
	// not read the HTML again. Nil when not known.
	Images []string

	Read            bool
	Starred         bool
	OfflineComplete bool

	// search is the title and text as the search index holds them, when
	// PrepareSearch computed them ahead of SaveFetch.
	search *[2]string
}

// PrepareSearch computes what the search index will hold for the article.
// SaveFetch does it otherwise; calling it in parallel workers beforehand
// takes that work off the single writer.
func (a *Article) PrepareSearch() {
	a.search = &[2]string{searchText(a.Title), searchText(a.Text)}
}

func (a *Article) searchFields() (title, body string) {
	if a.search == nil {
		a.PrepareSearch()
	}
	return a.search[0], a.search[1]
}

// Fetched is what one successful refresh of a source brought.
type Fetched struct {
	ETag         string
	LastModified string
	Route        string
	URL          string // the address that answered: the source's, or a mirror
	NotModified  bool
	// Name and SiteURL fill the source's own when it has none.
	Name     string
	SiteURL  string
	Articles []Article
	NextDue  time.Time
	// Cursor, when not empty, replaces the source's cursor.
	Cursor string
}

// SaveResult says what SaveFetch changed.
type SaveResult struct {
	New     int
	Updated int
	Removed int // by retention
	Skipped int // articles that could not be indexed (ErrNoSearchKey)
}

// SaveFetch stores one refresh of a source in one transaction: its articles
// (new ones added, known ones updated in place keeping read and starred),
// its validators and route, and retention. On any error nothing changes.
func (s *Store) SaveFetch(ctx context.Context, sourceID int64, f *Fetched) (SaveResult, error) {
	var res SaveResult
	now := s.now()
	ret, err := s.Retention(ctx)
	if err != nil {
		return res, err
	}
	f.Articles = newestOf(f.Articles, ret.MaxPerSource, now)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res = SaveResult{}
		if len(f.Articles) > 0 {
			if err := upsertAll(ctx, tx, sourceID, f.Articles, now, &res); err != nil {
				return err
			}
		}
		if err := updateSource(ctx, tx, sourceID, f, now); err != nil {
			return err
		}
		if f.NotModified {
			return nil
		}
		var err error
		res.Removed, err = applyRetention(ctx, tx, sourceID, ret, now)
		return err
	})
	return res, err
}

// newestOf keeps the newest n of a fetch's articles (all when n is 0): a
// feed of 100,000 items would otherwise be kept whole, since retention
// spares what the latest fetch holds. Undated articles count as new.
func newestOf(arts []Article, n int, now time.Time) []Article {
	if n <= 0 || len(arts) <= n {
		return arts
	}
	date := func(a *Article) int64 {
		if a.Published.IsZero() {
			return now.Unix()
		}
		return a.Published.Unix()
	}
	slices.SortStableFunc(arts, func(a, b Article) int { return cmp.Compare(date(&b), date(&a)) })
	clear(arts[n:]) // let the rest go
	return arts[:n]
}

func upsertAll(ctx context.Context, tx *sql.Tx, sourceID int64, arts []Article, now time.Time, res *SaveResult) error {
	up, err := prepareUpsert(ctx, tx, sourceID)
	if err != nil {
		return err
	}
	defer up.close()
	for i := range arts {
		created, changed, err := up.upsert(ctx, sourceID, &arts[i], now)
		if errors.Is(err, ErrNoSearchKey) {
			// One article that cannot be indexed is left out; the source's
			// others are stored.
			res.Skipped++
			continue
		}
		if err != nil {
			return fmt.Errorf("article %q: %w", arts[i].Title, err)
		}
		if created {
			res.New++
		} else if changed {
			res.Updated++
		}
	}
	return up.flush(ctx)
}

func updateSource(ctx context.Context, tx *sql.Tx, sourceID int64, f *Fetched, now time.Time) error {
	r, err := tx.ExecContext(ctx, `UPDATE sources SET
		etag = ?, last_modified = ?, last_ok = ?, last_error = '', last_verdict = '',
		last_route = ?, last_url = CASE WHEN ? = '' THEN last_url ELSE ? END, next_due = ?, failures = 0,
		name = CASE WHEN name = '' THEN ? ELSE name END,
		site_url = CASE WHEN site_url = '' THEN ? ELSE site_url END,
		cursor = CASE WHEN ? = '' THEN cursor ELSE ? END
		WHERE id = ?`,
		f.ETag, f.LastModified, now.Unix(), f.Route, f.URL, f.URL, unix(f.NextDue), CleanText(f.Name), WebURL(f.SiteURL), f.Cursor, f.Cursor, sourceID)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("source %d: %w", sourceID, ErrNotFound)
	}
	return nil
}

type upserter struct {
	insert, update, touch, ftsDel, ftsIns, taken, gap, todo, tried *sql.Stmt
	fullText                                                       bool // the source keeps its articles' full text
	// What the source already holds, loaded with one query, to match
	// articles seen again.
	byGUID, byURL map[string]known
	byTitle       map[titleKey]known
	// fts holds the index entries to add, written in key order by flush:
	// FTS5 starts a new segment whenever a rowid is lower than the one
	// before, and dated keys arrive in the feed's order.
	fts []ftsEntry
}

type ftsEntry struct {
	key         int64
	title, body string
}

// flush adds the pending index entries, in key order.
func (u *upserter) flush(ctx context.Context) error {
	slices.SortFunc(u.fts, func(a, b ftsEntry) int { return cmp.Compare(a.key, b.key) })
	for _, e := range u.fts {
		if _, err := u.ftsIns.ExecContext(ctx, e.key, e.title, e.body); err != nil {
			return err
		}
	}
	u.fts = u.fts[:0]
	return nil
}

type known struct {
	id        int64
	hash      string
	key       int64 // search_key
	published int64
}

type titleKey struct {
	title     string
	published int64
}

func prepareUpsert(ctx context.Context, tx *sql.Tx, sourceID int64) (*upserter, error) {
	u := &upserter{byGUID: map[string]known{}, byURL: map[string]known{}, byTitle: map[titleKey]known{}}
	if err := tx.QueryRowContext(ctx, `SELECT full_text FROM sources WHERE id = ?`, sourceID).Scan(&u.fullText); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("source %d: %w", sourceID, ErrNotFound)
		}
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, guid, url, title, published, hash, search_key FROM articles WHERE source_id = ? ORDER BY id`, sourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k known
		var guid, link, title string
		if err := rows.Scan(&k.id, &guid, &link, &title, &k.published, &k.hash, &k.key); err != nil {
			return nil, err
		}
		published := k.published
		// The first (oldest) article wins a key, as a LIMIT 1 lookup would.
		if _, ok := u.byGUID[guid]; guid != "" && !ok {
			u.byGUID[guid] = k
		}
		if _, ok := u.byURL[link]; link != "" && !ok {
			u.byURL[link] = k
		}
		for _, tk := range []titleKey{{title, published}, {title, 0}} {
			if _, ok := u.byTitle[tk]; !ok {
				u.byTitle[tk] = k
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := prepare(ctx, tx,
		stmt{&u.insert, `INSERT INTO articles (source_id, guid, url, title, author, published, updated, fetched, seen, html, summary, dir, hash, search_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		stmt{&u.update, `UPDATE articles SET guid = ?, url = ?, title = ?, author = ?, published = ?, updated = ?, seen = ?,
			html = ?, summary = ?, dir = ?, hash = ?, search_key = ? WHERE id = ?`},
		stmt{&u.todo, `INSERT INTO offline_todo (article_id, tried, images) VALUES (?, 0, ?)
			ON CONFLICT (article_id) DO UPDATE SET tried = 0, images = excluded.images`},
		stmt{&u.tried, `UPDATE offline_todo SET tried = 1 WHERE article_id = ?`},
		stmt{&u.touch, `UPDATE articles SET seen = ? WHERE id = ?`},
		stmt{&u.ftsDel, `DELETE FROM articles_fts WHERE rowid = ?`},
		stmt{&u.ftsIns, `INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)`},
		stmt{&u.taken, `SELECT EXISTS (SELECT 1 FROM articles WHERE search_key = ?)`},
		// The first free key in [?, ?): the key after the first taken key
		// whose successor is free, walking the unique index from the start.
		// A run of taken keys (many articles of one second and one content)
		// costs one query, not an INSERT per key.
		stmt{&u.gap, `SELECT a.search_key + 1 FROM articles a
			WHERE a.search_key >= ? AND a.search_key < ? - 1
			AND NOT EXISTS (SELECT 1 FROM articles b WHERE b.search_key = a.search_key + 1)
			ORDER BY a.search_key LIMIT 1`},
	); err != nil {
		return nil, err
	}
	return u, nil
}

func (u *upserter) close() {
	closeStmts(u.insert, u.update, u.touch, u.ftsDel, u.ftsIns, u.taken, u.gap, u.todo, u.tried)
}

// upsert stores a, matching a known article by GUID, else link, else title
// and date. It reports whether a was new, or known and changed.
func (u *upserter) upsert(ctx context.Context, sourceID int64, a *Article, now time.Time) (created, changed bool, err error) {
	cleanArticle(a)
	h := articleHash(a)
	var k known
	var found bool
	switch {
	case a.GUID != "":
		k, found = u.byGUID[a.GUID]
	case a.URL != "":
		k, found = u.byURL[a.URL]
	default:
		k, found = u.byTitle[titleKey{a.Title, unix(a.Published)}]
	}
	title, body := a.searchFields()
	if !found {
		published := a.Published
		if published.IsZero() {
			published = now
		}
		k = known{hash: h, published: published.Unix()}
		insert := func(key int64) (sql.Result, error) {
			return u.insert.ExecContext(ctx, sourceID, a.GUID, a.URL, a.Title, a.Author, k.published,
				unix(a.Updated), now.Unix(), now.Unix(), a.HTML, summaryOf(a.Text), dirOf(a.Dir), h, key)
		}
		// The key searchKey gives is nearly always free: tried first, and
		// only when it is taken is a free one looked for.
		key := searchKey(k.published, h)
		r, err := insert(key)
		if isUniqueViolation(err) {
			if key, err = u.freeKey(ctx, k.published, h); err != nil {
				return false, false, err
			}
			r, err = insert(key)
		}
		if err != nil {
			return false, false, err
		}
		k.key = key
		if k.id, err = r.LastInsertId(); err != nil {
			return false, false, err
		}
		a.ID = k.id
		if err := u.offline(ctx, a, true); err != nil {
			return false, false, err
		}
		// A feed that repeats an item matches the first copy.
		u.remember(a, k)
		u.fts = append(u.fts, ftsEntry{k.key, title, body})
		return true, false, nil
	}
	a.ID = k.id
	if k.hash == h {
		_, err = u.touch.ExecContext(ctx, now.Unix(), k.id)
		return false, false, err
	}
	oldKey := k.key
	k.hash = h
	if p := unix(a.Published); p != 0 && p != k.published {
		k.published = p
		k.key = 0 // the date moved: so does the article's place in the index
	}
	update := func(key int64) error {
		_, err := u.update.ExecContext(ctx, a.GUID, a.URL, a.Title, a.Author, k.published, unix(a.Updated), now.Unix(),
			a.HTML, summaryOf(a.Text), dirOf(a.Dir), h, key, k.id)
		return err
	}
	if k.key != 0 {
		err = update(k.key)
	} else {
		k.key = searchKey(k.published, h)
		if err = update(k.key); isUniqueViolation(err) {
			if k.key, err = u.freeKey(ctx, k.published, h); err == nil {
				err = update(k.key)
			}
		}
	}
	if err != nil {
		return false, false, err
	}
	if err := u.offline(ctx, a, false); err != nil {
		return false, false, err
	}
	u.remember(a, k)
	if _, err = u.ftsDel.ExecContext(ctx, oldKey); err != nil {
		return false, false, err
	}
	u.fts = append(u.fts, ftsEntry{k.key, title, body})
	return false, true, nil
}

// offline records what a stored article leaves to fetch for reading
// offline: its images, or its full text when its source keeps it. A new
// article with neither is complete as it is; a changed one keeps its state,
// except that nothing is left to try.
func (u *upserter) offline(ctx context.Context, a *Article, created bool) error {
	var err error
	switch {
	case a.HasImages || u.fullText:
		var images *string // NULL: not known, the pass reads the HTML
		if a.Images != nil {
			s := strings.Join(a.Images, "\n")
			images = &s
		}
		_, err = u.todo.ExecContext(ctx, a.ID, images)
	case !created:
		_, err = u.tried.ExecContext(ctx, a.ID)
	}
	return err
}

// searchKey places an article in the search index: its date in seconds in
// the high bits, 20 bits of its content hash below, so that the index's own
// order is newest first. Two articles of the same second rarely share the
// low bits; when they do, withSearchKey takes the next free key.
func searchKey(published int64, hash string) int64 {
	var low int64
	for i := 0; i < 5 && i < len(hash); i++ {
		low = low<<4 | int64(hexVal(hash[i]))
	}
	return max(published, 0)<<20 | low
}

func hexVal(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// ErrNoSearchKey says every search key of an article's second is taken: a
// million articles dated within one second. The article is not stored; the
// source's others are.
var ErrNoSearchKey = errors.New("no free search key in the article's second")

// freeKey is a search key no article holds: the one searchKey gives when it
// is free, else the first free one after it within the same second (so the
// index's order stays newest first), else the first free one of that
// second. It asks before writing, so no INSERT fails on the way.
func (u *upserter) freeKey(ctx context.Context, published int64, hash string) (int64, error) {
	key := searchKey(published, hash)
	var taken bool
	if err := u.taken.QueryRowContext(ctx, key).Scan(&taken); err != nil {
		return 0, err
	}
	if !taken {
		return key, nil
	}
	lo := max(published, 0) << 20
	hi := lo + 1<<20
	for _, from := range []int64{key, lo} {
		var free int64
		err := u.gap.QueryRowContext(ctx, from, hi).Scan(&free)
		if err == nil {
			return free, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	// The second's first key may be the free one (the gap query only finds
	// keys after a taken one).
	if err := u.taken.QueryRowContext(ctx, lo).Scan(&taken); err != nil {
		return 0, err
	}
	if !taken {
		return lo, nil
	}
	return 0, ErrNoSearchKey
}

func (u *upserter) remember(a *Article, k known) {
	if a.GUID != "" {
		u.byGUID[a.GUID] = k
	}
	if a.URL != "" {
		u.byURL[a.URL] = k
	}
	u.byTitle[titleKey{a.Title, k.published}] = k
	u.byTitle[titleKey{a.Title, 0}] = k
}

// articleHash identifies an article's content, so that an unchanged article
// seen again costs one small write.
func articleHash(a *Article) string {
	h := sha256.New()
	for _, s := range []string{a.GUID, a.URL, a.Title, a.Author, a.HTML, a.Text, a.Dir, fmt.Sprint(unix(a.Published), unix(a.Updated))} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// summaryRunes is how much of an article's text a list shows.
const summaryRunes = 280

func summaryOf(text string) string {
	n := 0
	for i := range text {
		if n == summaryRunes {
			return text[:i]
		}
		n++
	}
	return text
}

func dirOf(d string) string {
	if d == "rtl" {
		return "rtl"
	}
	return "ltr"
}

// Query selects articles for a list.
type Query struct {
	SourceID int64  // 0: all sources
	Search   string // words that must all appear in title or text
	Unread   bool
	Starred  bool
	Limit    int // 0: 100
	Offset   int
}

// Summary is an article as a list shows it: no HTML, the text cut short.
type Summary struct {
	ID              int64
	SourceID        int64
	Title           string
	URL             string
	Author          string
	Published       time.Time
	Dir             string
	Summary         string
	Read            bool
	Starred         bool
	OfflineComplete bool
}

// Articles lists articles matching q, newest first.
func (s *Store) Articles(ctx context.Context, q Query) ([]Summary, error) {
	var out []Summary
	err := s.EachArticle(ctx, q, func(a Summary) error { out = append(out, a); return nil })
	return out, err
}

// EachArticle calls fn with each article of q, in Articles' order, while
// reading them: a long answer is never held whole in memory. An error from
// fn stops it and is returned.
func (s *Store) EachArticle(ctx context.Context, q Query, fn func(Summary) error) error {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	var where []string
	var args []any
	from := `articles a`
	if strings.TrimSpace(q.Search) != "" {
		fq := ftsQuery(q.Search)
		if fq == "" {
			return nil
		}
		from = `articles_fts f JOIN articles a ON a.search_key = f.rowid`
		where = append(where, `articles_fts MATCH ?`)
		args = append(args, fq)
	}
	if q.SourceID != 0 {
		where = append(where, `a.source_id = ?`)
		args = append(args, q.SourceID)
	}
	if q.Unread {
		where = append(where, `a.read = 0`)
	}
	if q.Starred {
		where = append(where, `a.starred = 1`)
	}
	sqlq := `SELECT a.id, a.source_id, a.title, a.url, a.author, a.published, a.dir, a.summary,
		a.read, a.starred, NOT EXISTS (SELECT 1 FROM offline_todo t WHERE t.article_id = a.id) FROM ` + from
	if len(where) > 0 {
		sqlq += ` WHERE ` + strings.Join(where, ` AND `)
	}
	if from == `articles a` {
		sqlq += ` ORDER BY a.published DESC, a.id DESC LIMIT ? OFFSET ?`
	} else {
		// The index's order is newest first (searchKey): SQLite walks it
		// and stops after the page, instead of sorting every match.
		sqlq += ` ORDER BY f.rowid DESC LIMIT ? OFFSET ?`
	}
	args = append(args, q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Summary
		var published int64
		if err := rows.Scan(&a.ID, &a.SourceID, &a.Title, &a.URL, &a.Author, &published, &a.Dir, &a.Summary,
			&a.Read, &a.Starred, &a.OfflineComplete); err != nil {
			return err
		}
		a.Published = fromUnix(published)
		if err := fn(a); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// Article returns one whole article.
func (s *Store) Article(ctx context.Context, id int64) (Article, error) {
	var a Article
	var published, updated, fetched int64
	err := s.db.QueryRowContext(ctx, `SELECT id, source_id, guid, url, title, author, published, updated, fetched,
		html, summary, dir, read, starred, NOT EXISTS (SELECT 1 FROM offline_todo WHERE article_id = articles.id)
		FROM articles WHERE id = ?`, id).Scan(
		&a.ID, &a.SourceID, &a.GUID, &a.URL, &a.Title, &a.Author, &published, &updated, &fetched,
		&a.HTML, &a.Summary, &a.Dir, &a.Read, &a.Starred, &a.OfflineComplete)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("article %d: %w", id, ErrNotFound)
	}
	a.Published, a.Updated, a.Fetched = fromUnix(published), fromUnix(updated), fromUnix(fetched)
	return a, classify(err)
}

// SetRead marks an article read or unread.
func (s *Store) SetRead(ctx context.Context, id int64, read bool) error {
	return s.setFlag(ctx, `UPDATE articles SET read = ? WHERE id = ?`, id, read)
}

// SetStarred stars or unstars an article. Starred articles are kept forever.
func (s *Store) SetStarred(ctx context.Context, id int64, starred bool) error {
	return s.setFlag(ctx, `UPDATE articles SET starred = ? WHERE id = ?`, id, starred)
}

func (s *Store) setFlag(ctx context.Context, q string, id int64, v bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, q, v, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("article %d: %w", id, ErrNotFound)
		}
		return nil
	})
}
