package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
)

// fetched gives a a feed source with n articles, as a refresh would.
func fetched(t *testing.T, a *App, url string, n int) {
	t.Helper()
	ctx := context.Background()
	id, err := a.store.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: url, Name: url})
	if err != nil {
		t.Fatal(err)
	}
	var arts []cache.Article
	for i := range n {
		arts = append(arts, cache.Article{GUID: fmt.Sprintf("%s-%d", url, i), Title: fmt.Sprintf("News %d", i), HTML: "<p>text</p>",
			Text: "text", Published: time.Now().Add(-time.Duration(i) * time.Minute)})
	}
	if _, err := a.store.SaveFetch(ctx, id, &cache.Fetched{Articles: arts}); err != nil {
		t.Fatal(err)
	}
}

func articles(t *testing.T, a *App) int {
	t.Helper()
	list, err := a.store.Articles(context.Background(), cache.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func zips(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	return m
}

// sharing gives two readers who share one folder.
func sharing(t *testing.T) (dir string, a, b *App) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "shared")
	a, b = openTest(t), openTest(t)
	for _, x := range []*App{a, b} {
		if _, err := x.SetShare(context.Background(), dir, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	return dir, a, b
}

// The folder loop without Syncthing: sent after a round, read by a
// trusting reader once, waiting for one who does not trust, refused
// when forged, ignored when half written.
func TestShareFolderLoop(t *testing.T) {
	ctx := context.Background()
	dir, a, b := sharing(t)
	fetched(t, a, "https://a.example/feed", 5)
	rep := a.ShareRound(ctx, true)
	if rep.Err != nil || rep.Sent.Path == "" || rep.Sent.Articles != 5 {
		t.Fatalf("A's round: %+v", rep)
	}
	// Nothing new: nothing written.
	if rep := a.ShareRound(ctx, true); rep.Err != nil || rep.Sent.Path != "" || len(zips(t, dir)) != 1 {
		t.Errorf("A's second round: %+v, %d files", rep, len(zips(t, dir)))
	}
	// A half-written bundle (its temporary name) and other files: ignored.
	os.WriteFile(filepath.Join(dir, ".kabootar-123.tmp"), []byte("PK\x03\x04half"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)

	// B does not trust A yet: the bundle waits, nothing imported.
	rep = b.ShareRound(ctx, true)
	if rep.Err != nil || len(rep.Waiting) != 1 || rep.Articles != 0 || articles(t, b) != 0 {
		t.Fatalf("B's round, A untrusted: %+v", rep)
	}
	ka, _ := a.Identity()
	if !rep.Waiting[0].Signer.Equal(ka.Public()) {
		t.Error("the waiting bundle does not name A's key")
	}
	// Asked again without a change: still waiting, not listed anew.
	if rep := b.ShareRound(ctx, false); len(rep.Waiting) != 0 {
		t.Errorf("a waiting bundle listed again: %+v", rep)
	}
	if _, err := b.Trust(ctx, ka.Public().String(), "A"); err != nil {
		t.Fatal(err)
	}
	rep = b.ShareRound(ctx, true)
	if rep.Err != nil || rep.Articles != 5 || articles(t, b) != 5 {
		t.Fatalf("B's round, A trusted: %+v", rep)
	}
	// B fetched nothing: it sends nothing (A's articles are A's to send).
	if rep.Sent.Path != "" {
		t.Errorf("B sent %+v", rep.Sent)
	}
	arts, _ := b.store.Articles(ctx, cache.Query{})
	if p, _ := b.store.ArticleProvenance(ctx, arts[0].ID); !p.Signer.Equal(ka.Public()) || p.Name != "A" {
		t.Errorf("provenance %+v", p)
	}
	// Read once only.
	if rep := b.ShareRound(ctx, false); rep.Articles != 0 || len(rep.Received) != 0 {
		t.Errorf("read again: %+v", rep)
	}
	// A replayed copy under another name: nothing added, nothing asked.
	data, _ := os.ReadFile(zips(t, dir)[0])
	os.WriteFile(filepath.Join(dir, "copy.zip"), data, 0o644)
	if rep := b.ShareRound(ctx, false); rep.Articles != 0 || len(rep.Waiting) != 0 || len(rep.Refused) != 0 {
		t.Errorf("a replayed copy: %+v", rep)
	}
	// A forged one: refused, the cache as it was, not retried unchanged.
	data[len(data)/3] ^= 1 // a byte of its parts, not of the zip directory
	os.WriteFile(filepath.Join(dir, "forged.zip"), data, 0o644)
	rep = b.ShareRound(ctx, false)
	if len(rep.Refused) != 1 || !errors.Is(errFromDetail(rep.Refused[0].Detail), cache.ErrBadBundle) || articles(t, b) != 5 {
		t.Errorf("a forged bundle: %+v", rep)
	}
	if rep := b.ShareRound(ctx, false); len(rep.Refused) != 0 {
		t.Errorf("refused again: %+v", rep)
	}
	st, err := b.ShareStatus(ctx)
	if err != nil || len(st.Files) != 3 {
		t.Errorf("B's status: %+v, %v", st.Files, err)
	}
}

// errFromDetail stands for the refusal's message: the bundle errors all
// begin with ErrBadBundle's words.
func errFromDetail(detail string) error {
	if strings.HasPrefix(detail, cache.ErrBadBundle.Error()) {
		return cache.ErrBadBundle
	}
	return errors.New(detail)
}

// With no source of its own, a refresh still reads the shared folder.
func TestRefreshWithNoSourcesReadsTheFolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := openTest(t), openTest(t)
	a.SetShare(ctx, dir, 0, 0)
	b.SetShare(ctx, dir, 0, 0)
	fetched(t, a, "https://a.example/feed", 3)
	a.ShareRound(ctx, true)
	ka, _ := a.Identity()
	b.Trust(ctx, ka.Public().String(), "")
	rep, err := b.Refresh(ctx, nil)
	if err != nil || rep.Share.Articles != 3 {
		t.Fatalf("refresh: %+v, %v", rep.Share, err)
	}
}

// Own bundles past the days kept, then past the size kept, go, oldest
// first; the newest always stays; others' bundles are never touched.
func TestSharePrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := openTest(t)
	if _, err := a.SetShare(ctx, dir, 7, 1); err != nil {
		t.Fatal(err)
	}
	me, _ := a.Identity()
	own := func(name string, age time.Duration, size int) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, make([]byte, size), 0o644)
		when := time.Now().Add(-age)
		os.Chtimes(p, when, when)
		if err := a.store.SaveShareFile(ctx, cache.ShareFile{Path: p, Size: int64(size), ModTime: when, State: cache.ShareOwn, Signer: me.Public()}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old := own("old.zip", 10*24*time.Hour, 10)
	big1 := own("big1.zip", 3*time.Hour, 600<<10)
	big2 := own("big2.zip", 2*time.Hour, 600<<10)
	newest := own("newest.zip", time.Hour, 10)
	theirs := filepath.Join(dir, "theirs.zip")
	os.WriteFile(theirs, make([]byte, 2<<20), 0o644)
	n, err := a.prune(ctx, Share{Dir: dir, KeepDays: 7, MaxMB: 1})
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	for p, want := range map[string]bool{old: false, big1: false, big2: true, newest: true, theirs: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// A folder that cannot be written or read is said, and nothing is left
// half written; a bad folder is refused when set.
func TestShareFolderFailures(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A disk that fills in the middle of a bundle: no file, no temporary.
	err := writeAtomic(filepath.Join(dir, "b.zip"), func(w io.Writer) error {
		w.Write(make([]byte, 1<<20))
		return errors.New("no space left on device")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
	a := openTest(t)
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	var ie *InputError
	if _, err := a.SetShare(ctx, file, 0, 0); !errors.As(err, &ie) {
		t.Errorf("a file as the folder: %v", err)
	}
	if _, err := a.SetShare(ctx, filepath.Join(dir, "gone"), 0, 0); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "gone"))
	fetched(t, a, "https://a.example/feed", 2)
	if rep := a.ShareRound(ctx, true); rep.Err == nil || !strings.Contains(rep.Err.Error(), "cannot be read") {
		t.Errorf("a folder gone: %+v", rep)
	}
	if articles(t, a) != 2 {
		t.Error("the cache changed")
	}
	// A folder that cannot be written, even by root: /proc reads as a
	// folder and refuses every new file.
	if runtime.GOOS == "linux" {
		if _, err := a.SetShare(ctx, "/proc/self", 0, 0); err != nil {
			t.Fatal(err)
		}
		rep := a.ShareRound(ctx, true)
		if rep.Err == nil || !strings.Contains(rep.Err.Error(), "could not be written into the shared folder") {
			t.Errorf("a read-only folder: %+v", rep)
		}
		if last, _ := a.store.LastExport(ctx, "/proc/self"); last.LastID != 0 {
			t.Error("an export that failed was remembered as sent")
		}
	}
}

// An article sent to the folder before its image came is sent again once
// the image is here, and the reader gets the image.
func TestShareFolderSendsLateImages(t *testing.T) {
	ctx := context.Background()
	_, a, b := sharing(t)
	ka, _ := a.Identity()
	if _, err := b.Trust(ctx, ka.Public().String(), "A"); err != nil {
		t.Fatal(err)
	}
	id, _ := a.store.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://a.example/feed"})
	const img = "https://img.example/1.png"
	a.store.SaveFetch(ctx, id, &cache.Fetched{Articles: []cache.Article{{GUID: "1", Title: "News", Text: "text",
		HTML: `<p>text</p><img src="` + img + `">`, HasImages: true, Published: time.Now()}}})
	if rep := a.ShareRound(ctx, true); rep.Err != nil || rep.Sent.Articles != 1 {
		t.Fatalf("A's first round: %+v", rep)
	}
	if rep := b.ShareRound(ctx, true); rep.Err != nil || rep.Articles != 1 {
		t.Fatalf("B's first round: %+v", rep)
	}
	pend, _ := a.store.PendingMedia(ctx, 10)
	if err := a.store.SaveMedia(ctx, []cache.MediaResult{{ArticleID: pend[0].ID, URL: img,
		Media: &cache.Media{MIME: "image/png", Data: pngImage(t)}}}, []int64{pend[0].ID}); err != nil {
		t.Fatal(err)
	}
	if rep := a.ShareRound(ctx, true); rep.Err != nil || rep.Sent.Articles != 1 {
		t.Fatalf("A's round once the image came: %+v", rep)
	}
	if rep := b.ShareRound(ctx, true); rep.Err != nil {
		t.Fatalf("B's second round: %+v", rep)
	}
	if m, err := b.store.Media(ctx, img); err != nil || len(m.Data) == 0 {
		t.Errorf("B has not the image that came late: %v", err)
	}
}

func pngImage(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
