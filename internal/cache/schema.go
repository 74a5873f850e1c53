package cache

import (
	"context"
	"errors"
	"fmt"
)

// migrations are applied in order; PRAGMA user_version counts those done.
// Append only: a released migration never changes.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE sources (
	id            INTEGER PRIMARY KEY,
	kind          TEXT    NOT NULL,
	url           TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL DEFAULT '',
	site_url      TEXT    NOT NULL DEFAULT '',
	mirrors       TEXT    NOT NULL DEFAULT '[]',
	etag          TEXT    NOT NULL DEFAULT '',
	last_modified TEXT    NOT NULL DEFAULT '',
	last_ok       INTEGER NOT NULL DEFAULT 0,
	last_error    TEXT    NOT NULL DEFAULT '',
	last_verdict  TEXT    NOT NULL DEFAULT '',
	last_route    TEXT    NOT NULL DEFAULT '',
	next_due      INTEGER NOT NULL DEFAULT 0,
	failures      INTEGER NOT NULL DEFAULT 0,
	created       INTEGER NOT NULL
);

CREATE TABLE articles (
	id               INTEGER PRIMARY KEY,
	source_id        INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	guid             TEXT    NOT NULL DEFAULT '',
	url              TEXT    NOT NULL DEFAULT '',
	title            TEXT    NOT NULL DEFAULT '',
	author           TEXT    NOT NULL DEFAULT '',
	published        INTEGER NOT NULL,
	updated          INTEGER NOT NULL DEFAULT 0,
	fetched          INTEGER NOT NULL,
	seen             INTEGER NOT NULL,
	html             TEXT    NOT NULL DEFAULT '',
	summary          TEXT    NOT NULL DEFAULT '', -- the text's start, for lists
	dir              TEXT    NOT NULL DEFAULT 'ltr',
	hash             TEXT    NOT NULL DEFAULT '',
	-- The article's row in the search index: its date in the high bits, so
	-- that the index yields the newest matches first and a search can stop
	-- after the first page instead of sorting every match (see searchKey).
	search_key       INTEGER NOT NULL UNIQUE,
	read             INTEGER NOT NULL DEFAULT 0,
	starred          INTEGER NOT NULL DEFAULT 0,
	offline_complete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_guid      ON articles(source_id, guid) WHERE guid <> '';
CREATE INDEX articles_url       ON articles(source_id, url) WHERE url <> '';
CREATE INDEX articles_title     ON articles(source_id, title, published);
CREATE INDEX articles_published ON articles(published DESC, id DESC);
CREATE INDEX articles_source    ON articles(source_id, published DESC, id DESC);
CREATE INDEX articles_unread    ON articles(source_id) WHERE read = 0;

-- Search over title and text, as searchText gives them (normalised, folded
-- and split into words in Go, so the ascii tokenizer suffices). Contentless:
-- the articles keep their HTML (the text can be made again from it) and
-- a summary. detail=none: search needs which
-- articles hold a word, not where; the index is much smaller for it.
CREATE VIRTUAL TABLE articles_fts USING fts5(
	title, body,
	content = '', contentless_delete = 1, detail = none,
	tokenize = 'ascii'
);
-- Articles leave the index with their row, whether retention, a removed
-- source or anything else deleted them.
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
	DELETE FROM articles_fts WHERE rowid = old.search_key;
END;

-- Images and other media of articles, stored so articles read the same
-- offline. One row per URL; articles share them.
CREATE TABLE media (
	id      INTEGER PRIMARY KEY,
	url     TEXT    NOT NULL UNIQUE,
	mime    TEXT    NOT NULL DEFAULT '',
	data    BLOB,
	size    INTEGER NOT NULL DEFAULT 0,
	fetched INTEGER NOT NULL DEFAULT 0,
	error   TEXT    NOT NULL DEFAULT ''
);
CREATE TABLE article_media (
	article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
	media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
	PRIMARY KEY (article_id, media_id)
) WITHOUT ROWID;
CREATE INDEX article_media_media ON article_media(media_id);

-- Route memory: per host, how each route and URL fared last time.
CREATE TABLE routes (
	host    TEXT    NOT NULL,
	route   TEXT    NOT NULL,
	url     TEXT    NOT NULL,
	ok      INTEGER NOT NULL,
	verdict TEXT    NOT NULL DEFAULT '',
	ms      INTEGER NOT NULL DEFAULT 0,
	at      INTEGER NOT NULL,
	PRIMARY KEY (host, route, url)
) WITHOUT ROWID;

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`,
	// 2: channels, offline media, full text.
	`
-- Where a source's reading stopped (a channel's newest post ID).
ALTER TABLE sources ADD COLUMN cursor TEXT NOT NULL DEFAULT '';
-- Fetch each article's page and keep its full text.
ALTER TABLE sources ADD COLUMN full_text INTEGER NOT NULL DEFAULT 0;

-- Media content, once per content hash, whatever URLs serve it.
CREATE TABLE blobs (
	hash      TEXT    PRIMARY KEY,
	mime      TEXT    NOT NULL,
	data      BLOB    NOT NULL,
	size      INTEGER NOT NULL,
	last_read INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_last_read ON blobs(last_read);
ALTER TABLE media ADD COLUMN hash TEXT REFERENCES blobs(hash) ON DELETE SET NULL;
CREATE INDEX media_hash ON media(hash);
-- Articles whose media have been tried (offline_complete says whether all came).
ALTER TABLE articles ADD COLUMN media_tried INTEGER NOT NULL DEFAULT 0;
-- The articles still to do, found without reading the others.
CREATE INDEX articles_media_pending ON articles(id) WHERE media_tried = 0;
`,
	// 3: which address served a source last (a mirror, when not its own).
	`ALTER TABLE sources ADD COLUMN last_url TEXT NOT NULL DEFAULT '';`,
	// 4: images in a rowid table, their bytes last. In a WITHOUT ROWID table
	// keyed by a random hash every image was written into a random place
	// of a tree of images, and reading a size or a date walked the bytes;
	// now the bytes are appended and only the small hash index is random.
	// The index on last_read goes: it cost a write for every image stored
	// or read, and only the rare eviction past the media budget sorts by it.
	// (SQLite's procedure for changing a table: foreign keys are off while
	// migrations run, and checked after.)
	`
CREATE TABLE blobs_new (
	id        INTEGER PRIMARY KEY,
	hash      TEXT    NOT NULL UNIQUE,
	mime      TEXT    NOT NULL,
	size      INTEGER NOT NULL,
	last_read INTEGER NOT NULL,
	data      BLOB    NOT NULL
);
INSERT INTO blobs_new (hash, mime, size, last_read, data) SELECT hash, mime, size, last_read, data FROM blobs;
DROP TABLE blobs;
ALTER TABLE blobs_new RENAME TO blobs;
`,
	// 5: sharing. Who an imported article came from; the keys trusted; the
	// bundles read (a replay is known); where incremental exports stopped;
	// the files seen in the share folder.
	`
-- '' for an article fetched here; the signer's public key (its text form)
-- for one imported from a signed bundle; 'unsigned' for an older bundle.
ALTER TABLE articles ADD COLUMN via    TEXT    NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN via_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE trusted_keys (
	key   TEXT    PRIMARY KEY,
	name  TEXT    NOT NULL DEFAULT '',
	added INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE bundles_read (
	id       TEXT    PRIMARY KEY, -- the SHA-256 of its manifest
	signer   TEXT    NOT NULL,
	created  INTEGER NOT NULL,
	articles INTEGER NOT NULL,
	at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE exports (
	place    TEXT    PRIMARY KEY, -- a directory
	last_id  INTEGER NOT NULL,    -- the newest article sent there
	at       INTEGER NOT NULL,
	articles INTEGER NOT NULL,
	file     TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE share_files (
	path     TEXT    PRIMARY KEY,
	size     INTEGER NOT NULL,
	mtime    INTEGER NOT NULL,
	state    TEXT    NOT NULL, -- imported, untrusted, refused, own
	signer   TEXT    NOT NULL DEFAULT '',
	detail   TEXT    NOT NULL DEFAULT '',
	articles INTEGER NOT NULL DEFAULT 0,
	at       INTEGER NOT NULL
) WITHOUT ROWID;
`,
	// 6: route memory per network: what worked on one network is not
	// trusted on another. The old records (no network) are let go: they
	// are a week's hint at most.
	`
DROP TABLE routes;
CREATE TABLE routes (
	network TEXT    NOT NULL,
	host    TEXT    NOT NULL,
	route   TEXT    NOT NULL,
	url     TEXT    NOT NULL,
	ok      INTEGER NOT NULL,
	verdict TEXT    NOT NULL DEFAULT '',
	ms      INTEGER NOT NULL DEFAULT 0,
	at      INTEGER NOT NULL,
	PRIMARY KEY (network, host, route, url)
) WITHOUT ROWID;
`,
	// 7: media point at their content by the blob's id, not its hash. An
	// index of random hashes takes a write to most of its pages in every
	// transaction of a refresh with images; one of ids grows at its end.
	// (The old media table's unused data column goes with it.)
	`
CREATE TABLE media_new (
	id      INTEGER PRIMARY KEY,
	url     TEXT    NOT NULL UNIQUE,
	mime    TEXT    NOT NULL DEFAULT '',
	size    INTEGER NOT NULL DEFAULT 0,
	fetched INTEGER NOT NULL DEFAULT 0,
	error   TEXT    NOT NULL DEFAULT '',
	blob_id INTEGER REFERENCES blobs(id) ON DELETE SET NULL
);
INSERT INTO media_new (id, url, mime, size, fetched, error, blob_id)
	SELECT m.id, m.url, m.mime, m.size, m.fetched, m.error, b.id FROM media m LEFT JOIN blobs b ON b.hash = m.hash;
DROP TABLE media;
ALTER TABLE media_new RENAME TO media;
CREATE INDEX media_blob ON media(blob_id);
`,
	// 8: what is left to fetch for reading offline, in a narrow table of its
	// own. Marking an article's media tried rewrote the article's row (its
	// page, with its neighbours' HTML) for every article of a refresh with
	// images; now it deletes a row of two numbers. An article without a row
	// is complete offline. (articles.media_tried and offline_complete stay,
	// unused: dropping a column rewrites every article.)
	`
CREATE TABLE offline_todo (
	article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
	tried      INTEGER NOT NULL DEFAULT 0, -- 0: still to fetch; 1: tried, some did not come
	images     TEXT -- the addresses of its images, a line each, as the parser listed them; NULL: read the HTML
);
INSERT INTO offline_todo (article_id, tried)
	SELECT id, media_tried FROM articles WHERE media_tried = 0 OR offline_complete = 0;
DROP INDEX articles_media_pending;
`,
}

// SchemaVersion is the user_version of a fully migrated cache.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("%w (schema %d, this one knows %d); update Kabootar", ErrTooNew, v, len(migrations))
	}
	if v == len(migrations) {
		return nil
	}
	// One connection of its own, with foreign keys off while the schema
	// changes (a table rebuilt must not set its children's keys to NULL as
	// its old copy is dropped), and checked before the change is kept.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Read again inside the write lock: another process may have
	// migrated meanwhile.
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	broken := rows.Next()
	rows.Close()
	if broken {
		return errors.New("the migrated schema breaks a foreign key")
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}
