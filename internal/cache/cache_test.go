package cache

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addFeed(t *testing.T, s *Store, url string) int64 {
	t.Helper()
	id, err := s.AddSource(context.Background(), Source{Kind: KindFeed, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id := addFeed(t, s, "https://example.org/feed")
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("user_version %d (%v), want %d", v, err, SchemaVersion)
	}
	var mode string
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	if src, err := s.Source(ctx, id); err != nil || src.URL != "https://example.org/feed" {
		t.Fatalf("source after reopen: %+v, %v", src, err)
	}
}

func TestOpenRefusesWhatItCannotUse(t *testing.T) {
	ctx := context.Background()
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		junk := bytes.Repeat([]byte("this is a text file, not SQLite\n"), 200)
		os.WriteFile(path, junk, 0o600)
		_, err := Open(ctx, path)
		if !errors.Is(err, ErrNotDatabase) {
			t.Fatalf("err = %v, want ErrNotDatabase", err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
			t.Error("the file was changed")
		}
	})
	t.Run("written by a newer version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.db.Exec("PRAGMA user_version = 999")
		s.Close()
		if _, err := Open(ctx, path); !errors.Is(err, ErrTooNew) {
			t.Fatalf("err = %v, want ErrTooNew", err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		dir := t.TempDir()
		if runtime.GOOS == "windows" {
			// No permission bits: a read-only directory there is an ACL,
			// and the read-only attribute does not stop new files.
			t.Skip("Windows has no read-only directories by mode bits; Linux runs this")
		}
		if os.Geteuid() == 0 {
			// root writes through permission bits; /proc refuses even root.
			dir = "/proc"
		} else {
			os.Chmod(dir, 0o500)
			t.Cleanup(func() { os.Chmod(dir, 0o700) })
		}
		_, err := Open(ctx, filepath.Join(dir, FileName))
		if !errors.Is(err, ErrReadOnly) {
			t.Fatalf("err = %v, want ErrReadOnly", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		_, err := Open(ctx, filepath.Join(t.TempDir(), "nope", FileName))
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDiskFullLosesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	id := addFeed(t, s, "https://example.org/feed")
	first := &Fetched{ETag: `"1"`, Articles: []Article{{GUID: "a", Title: "kept", Text: "kept text"}}}
	if _, err := s.SaveFetch(ctx, id, first); err != nil {
		t.Fatal(err)
	}
	var pages int
	s.db.QueryRow("PRAGMA page_count").Scan(&pages)
	s.Close()

	// The disk "fills" a few pages past what the cache holds now.
	s, err = open(ctx, path, options{pragmas: []string{"max_page_count(" + strconv.Itoa(pages+4) + ")"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	big := strings.Repeat("بسیار طولانی ", 20000)
	var arts []Article
	for i := range 20 {
		arts = append(arts, Article{GUID: "new" + strconv.Itoa(i), Title: "new", Text: big, HTML: big})
	}
	_, err = s.SaveFetch(ctx, id, &Fetched{ETag: `"2"`, Articles: arts})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("err = %v, want ErrDiskFull", err)
	}
	list, err := s.Articles(ctx, Query{SourceID: id})
	if err != nil || len(list) != 1 || list[0].Title != "kept" {
		t.Fatalf("after the failed write: %+v, %v", list, err)
	}
	src, _ := s.Source(ctx, id)
	if src.ETag != `"1"` {
		t.Errorf("ETag %q: the failed refresh changed the source", src.ETag)
	}
	if got, _ := s.Articles(ctx, Query{Search: "kept"}); len(got) != 1 {
		t.Errorf("search after the failed write found %d", len(got))
	}
}

// cacheAt makes a cache file at an older schema, the first version
// migrations applied, holding what stmts insert, and returns its path.
func cacheAt(t *testing.T, version int, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append(append(migrations[:version:version], fmt.Sprintf("PRAGMA user_version = %d", version)), stmts...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	return path
}

// Migrations 4 and 7 rebuild the images' and the media's tables; the
// images, the media that point at them, the media that failed and their
// links to articles survive both (foreign keys are off while they run:
// dropping an old table would otherwise set every media's image to NULL,
// or delete the links).
func TestMigrationKeepsImages(t *testing.T) {
	ctx := context.Background()
	path := cacheAt(t, 3,
		`INSERT INTO blobs (hash, mime, data, size, last_read) VALUES ('h1', 'image/png', x'89504e47', 4, 7)`,
		`INSERT INTO media (url, mime, size, fetched, hash) VALUES ('https://x/a.png', 'image/png', 4, 1, 'h1')`,
		`INSERT INTO media (url, fetched, error) VALUES ('https://x/b.png', 1, 'http-status')`,
		`INSERT INTO sources (kind, url, created) VALUES ('feed', 'https://x/feed', 1)`,
		`INSERT INTO articles (source_id, guid, title, published, fetched, seen, search_key) VALUES (1, 'g', 't', 1, 1, 1, 1)`,
		`INSERT INTO article_media (article_id, media_id) SELECT 1, id FROM media`,
	)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Media(ctx, "https://x/a.png")
	if err != nil || m.MIME != "image/png" || !bytes.Equal(m.Data, []byte{0x89, 'P', 'N', 'G'}) {
		t.Fatalf("image after the migration: %+v, %v", m, err)
	}
	got, err := s.ArticleMedia(ctx, 1)
	want := []MediaState{{URL: "https://x/a.png", Cached: true, Size: 4}, {URL: "https://x/b.png", Error: "http-status"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("the article's media after the migrations: %+v, %v; want %+v", got, err, want)
	}
	// The image is still removed with the last media that shows it.
	if _, err := s.db.Exec(`DELETE FROM blobs`); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ArticleMedia(ctx, 1); len(got) != 2 || got[0].Cached {
		t.Errorf("after the image was removed: %+v", got)
	}
	var fk int
	s.db.QueryRow("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Error("foreign keys were left off")
	}
}

// Migration 8 moves what is left to fetch offline out of the articles'
// rows: an article still to do stays pending, one whose images came only
// in part stays incomplete, and one complete stays complete.
func TestMigrationKeepsOfflineState(t *testing.T) {
	ctx := context.Background()
	path := cacheAt(t, 7,
		`INSERT INTO sources (kind, url, created) VALUES ('feed', 'https://x/feed', 1)`,
		`INSERT INTO articles (source_id, guid, title, published, fetched, seen, search_key, media_tried, offline_complete) VALUES
			(1, 'pending', 't', 1, 1, 1, 1, 0, 0), (1, 'part', 't', 1, 1, 1, 2, 1, 0), (1, 'whole', 't', 1, 1, 1, 3, 1, 1)`,
	)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pend, err := s.PendingMedia(ctx, 10)
	if err != nil || len(pend) != 1 || pend[0].ID != 1 {
		t.Errorf("pending after the migration: %+v, %v", pend, err)
	}
	for id, want := range map[int64]bool{1: false, 2: false, 3: true} {
		if a, err := s.Article(ctx, id); err != nil || a.OfflineComplete != want {
			t.Errorf("article %d: offline complete %v, %v; want %v", id, a.OfflineComplete, err, want)
		}
	}
	// Removing an article removes what it had left to fetch.
	if err := s.RemoveSource(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var left int
	s.db.QueryRow(`SELECT count(*) FROM offline_todo`).Scan(&left)
	if left != 0 {
		t.Errorf("%d rows left to fetch for removed articles", left)
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
