// Package cache is Kabootar's store: one SQLite file holding sources,
// articles, media, route memory and settings, shared by the window and the
// command line. It imports no other package of the project.
package cache

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors callers decide on.
var (
	ErrNotFound    = errors.New("not found")
	ErrNotDatabase = errors.New("the cache file is not a Kabootar database")
	ErrTooNew      = errors.New("the cache was written by a newer Kabootar")
	ErrDiskFull    = errors.New("the disk is full")
	ErrReadOnly    = errors.New("the data directory is read-only")
	ErrExists      = errors.New("already exists")
)

// Store is an open cache. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
	// SQLite has one writer at a time: every write transaction of this
	// process goes through one connection, taken in turn (writing holds
	// the token), whose page cache is large enough for a refresh's index
	// updates; readers keep the pool's small caches.
	writer *sql.Conn
	token  chan struct{}
	// stop ends the checkpointer; stopped says it has ended.
	stop, stopped chan struct{}
	restartFrames int
	closeOnce     sync.Once
	closeErr      error
}

// checkpointEvery is how often the checkpointer copies the write-ahead log
// into the database. The writer does not (SQLite's default is to copy it
// in the commit that passes 1000 pages): a refresh with images writes
// hundreds of megabytes, and copying them in the writer's commits took
// nearly half of its time. A passive checkpoint waits for nobody.
const checkpointEvery = 250 * time.Millisecond

// restartFrames is the log's length past which the checkpointer makes the
// next write start it again from the beginning. A log restarts only when
// no reader is using it, and while a refresh runs there always is one: the
// log grew to nearly 2 GB in a refresh with images, each write appended
// to it and the last close copied it all. A restart waits for the readers
// of the moment (queries of milliseconds) and holds writers meanwhile.
const restartFrames = 4096

func (s *Store) checkpointer(conn *sql.Conn) {
	defer close(s.stopped)
	defer conn.Close()
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			// An error (a busy database, a full disk) leaves the log to
			// the next tick, or to the last connection's close.
			var busy, frames, done int
			if conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done) == nil && frames > s.restartFrames {
				conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(RESTART)")
			}
		case <-s.stop:
			return
		}
	}
}

// checkpointBusy is how long the checkpointer waits for the writer, or a
// restart for the readers of the moment, before it leaves the log to the
// next tick: while it waits, writers wait on it.
const checkpointBusy = 50 * time.Millisecond

// FileName is the cache's file inside a data directory.
const FileName = "kabootar.db"

// writerCacheKB is the writer's page cache. A refresh with images updates
// a few random indexes (hashes, URLs) thousands of times; with SQLite's
// default 2 MB most of those pages are read again from the file each time.
const writerCacheKB = 8 << 10

// Open opens (creating and migrating when needed) the cache at path. A file
// that is not a SQLite database is left untouched and reported as
// ErrNotDatabase.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, options{})
}

// options are what tests change of an opened store.
type options struct {
	pragmas       []string // more, after the store's own
	restartFrames int      // instead of restartFrames
}

func open(ctx context.Context, path string, o options) (*Store, error) {
	if err := checkDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := createWithPageSize(ctx, path); err != nil {
		return nil, fmt.Errorf("open cache %s: %w", path, classify(err))
	}
	q := url.Values{}
	for _, p := range append([]string{
		"busy_timeout(10000)",
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
		// Statement journals (an upsert keeps one) in memory, not in temporary
		// files written page by page.
		"temp_store(MEMORY)",
	}, o.pragmas...) {
		q.Add("_pragma", p)
	}
	// Writers take the lock at BEGIN, so two writers wait on each other
	// instead of failing with SQLITE_BUSY when a read upgrades to a write.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	s := &Store{db: db, path: path, now: time.Now, token: make(chan struct{}, 1), restartFrames: cmp.Or(o.restartFrames, restartFrames)}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open cache %s: %w", path, classify(err))
	}
	if s.writer, err = db.Conn(ctx); err == nil {
		_, err = s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKB))
	}
	if err == nil {
		_, err = s.writer.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0") // the checkpointer's job
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open cache %s: %w", path, classify(err))
	}
	var ckpt *sql.Conn
	if ckpt, err = db.Conn(ctx); err == nil {
		_, err = ckpt.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", checkpointBusy.Milliseconds()))
		if err != nil {
			ckpt.Close()
		}
	}
	if err != nil {
		s.writer.Close()
		db.Close()
		return nil, fmt.Errorf("open cache %s: %w", path, classify(err))
	}
	s.stop, s.stopped = make(chan struct{}), make(chan struct{})
	go s.checkpointer(ckpt)
	return s, nil
}

// pageSize is a new cache's page. An image of a few kilobytes spans two of
// SQLite's default 4 KB pages and each page is a write of its own to the
// log and another to the database; in 16 KB pages a refresh with images
// makes a quarter of the writes. A cache's page size is fixed when its
// file is made, so older caches keep theirs.
const pageSize = 16 << 10

// createWithPageSize makes the cache file, when there is none yet, with
// pageSize: the driver applies its pragmas in alphabetical order, and
// journal_mode (which writes the first page) comes before page_size.
func createWithPageSize(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "PRAGMA journal_mode = WAL")
	return err
}

// checkDir says clearly when the data directory cannot hold the cache,
// before SQLite says "unable to open database file".
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".kabootar-write-test-*")
	if err != nil {
		return fmt.Errorf("%w: cannot write in %s (%v); choose another with --data", ErrReadOnly, dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// Close closes the store.
// Closing it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
		s.writer.Close()
		// The last connection to close copies the rest of the log.
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Path is the cache file's path.
func (s *Store) Path() string { return s.path }

// classify maps SQLite's result codes to the errors callers decide on.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: %v", ErrNotDatabase, err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
		return fmt.Errorf("%w: %v", ErrReadOnly, err)
	}
	return err
}

// tx runs fn in one write transaction: all of it is stored, or none.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	select {
	case s.token <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	defer func() { <-s.token }()
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return classify(err)
	}
	return classify(tx.Commit())
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
