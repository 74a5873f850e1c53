package cache

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func pageSizeOf(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("PRAGMA page_size").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A new cache gets large pages; one made with SQLite's default keeps its
// own and still opens.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	fresh := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := pageSizeOf(t, fresh); got != pageSize {
		t.Errorf("new cache: page size %d, want %d", got, pageSize)
	}

	old := filepath.Join(t.TempDir(), FileName)
	db, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE x(a)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A file that is there but empty (touched by hand, a failed copy) is new.
	empty := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{old: 4096, empty: pageSize} {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddSource(ctx, Source{Kind: KindFeed, URL: "https://example.org/feed"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got := pageSizeOf(t, path); got != want {
			t.Errorf("%s: page size %d, want %d", path, got, want)
		}
	}
}

// While readers keep the log in use (as a refresh's workers do, one
// query after another), it starts again from its beginning instead of
// growing with every write.
func TestLogRestartsUnderReaders(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := open(ctx, path, options{restartFrames: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	// Two readers, each holding a snapshot for a few milliseconds, half a
	// cycle apart: at almost every moment one of them is reading.
	for i := range 2 {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 2 * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
				if err != nil {
					continue
				}
				var n int
				tx.QueryRow("SELECT count(*) FROM settings").Scan(&n)
				time.Sleep(4 * time.Millisecond)
				tx.Rollback()
			}
		})
	}
	var largest int64
	// Paced, as a refresh's writer is: a few hundred writes between two
	// checkpoints, however busy the machine.
	deadline := time.Now().Add(3 * time.Second)
	writes := 0
	for ; time.Now().Before(deadline); writes++ {
		i := writes
		if err := s.SetSetting(ctx, fmt.Sprintf("k%d", i%50), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, fi.Size())
		}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// Each write adds at least a page to the log. Restarted, the log holds
	// what was written between two checkpoints; without restarts, all.
	written := int64(writes) * pageSize
	t.Logf("%d writes (%.0f MB of pages at least), the log's file at most %.1f MB", writes, float64(written)/(1<<20), float64(largest)/(1<<20))
	if largest > written/2 {
		t.Errorf("the log grew to %.1f MB for %d writes while readers were busy", float64(largest)/(1<<20), writes)
	}
}
