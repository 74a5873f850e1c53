package cache

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestMediaDedupeCompleteAndBudget(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	id := addFeed(t, s, "https://x/feed")
	var arts []Article
	for i := range 4 {
		arts = append(arts, Article{GUID: fmt.Sprint(i), Title: fmt.Sprint("a", i), HasImages: true})
	}
	// One without images: nothing to fetch, complete offline as stored.
	arts = append(arts, Article{GUID: "plain", Title: "plain text"})
	s.SaveFetch(ctx, id, &Fetched{Articles: arts})
	if got, _ := s.Articles(ctx, Query{Search: "plain"}); len(got) != 1 || !got[0].OfflineComplete {
		t.Errorf("an article without images is not complete offline: %+v", got)
	}
	pend, _ := s.PendingMedia(ctx, 10)
	if len(pend) != 4 {
		t.Fatalf("%d pending", len(pend))
	}
	mb := bytes.Repeat([]byte{7}, 1<<20)
	// Two URLs, one content: stored once.
	s.PutMedia(ctx, pend[0].ID, Media{URL: "https://x/a.jpg", MIME: "image/jpeg", Data: mb})
	s.PutMedia(ctx, pend[0].ID, Media{URL: "https://cdn/a.jpg", MIME: "image/jpeg", Data: mb})
	var blobs int
	s.db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs)
	if blobs != 1 {
		t.Errorf("%d blobs for one content", blobs)
	}
	s.MediaDone(ctx, pend[0].ID)
	// One fetched, one failed: not complete.
	s.PutMedia(ctx, pend[1].ID, Media{URL: "https://x/b.jpg", MIME: "image/jpeg", Data: bytes.Repeat([]byte{8}, 1<<20)})
	s.MediaFailed(ctx, pend[1].ID, "https://x/broken.jpg", "http-status")
	s.MediaDone(ctx, pend[1].ID)
	// Two more, a megabyte each.
	for i, p := range pend[2:] {
		clock = clock.Add(time.Hour)
		s.PutMedia(ctx, p.ID, Media{URL: fmt.Sprint("https://x/c", i), MIME: "image/png", Data: bytes.Repeat([]byte{byte(9 + i)}, 1<<20)})
		s.MediaDone(ctx, p.ID)
	}
	complete := func(id int64) bool { a, _ := s.Article(ctx, id); return a.OfflineComplete }
	if !complete(pend[0].ID) || complete(pend[1].ID) || !complete(pend[2].ID) {
		t.Fatalf("offline_complete wrong")
	}
	if p, _ := s.PendingMedia(ctx, 10); len(p) != 0 {
		t.Errorf("%d still pending", len(p))
	}

	// The reader opens the first article: its image is the most recently read.
	clock = clock.Add(time.Hour)
	s.TouchArticleMedia(ctx, pend[0].ID)
	// Budget 2 MB for 4 MB: the two least recently read go (b.jpg, c0).
	s.SetSetting(ctx, SettingMediaBudgetMB, "2")
	n, err := s.EnforceMediaBudget(ctx)
	if err != nil || n != 2 {
		t.Fatalf("evicted %d, %v", n, err)
	}
	if _, err := s.Media(ctx, "https://x/a.jpg"); err != nil {
		t.Errorf("the recently read image was evicted: %v", err)
	}
	if _, err := s.Media(ctx, "https://x/b.jpg"); err == nil {
		t.Error("the least recently read image was kept")
	}
	if complete(pend[2].ID) || !complete(pend[3].ID) || !complete(pend[0].ID) {
		t.Error("offline_complete not updated after eviction")
	}
	ms, _ := s.ArticleMedia(ctx, pend[2].ID)
	if len(ms) != 1 || ms[0].Cached || ms[0].Error == "" {
		t.Errorf("evicted media state: %+v", ms)
	}
}

func TestSetArticleContentReindexes(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "1", Title: "t", Text: "short summary"}}})
	list, _ := s.Articles(ctx, Query{})
	if err := s.SetArticleContent(ctx, list[0].ID, "<p>the whole story of the earthquake</p>", "the whole story of the earthquake"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Articles(ctx, Query{Search: "earthquake"}); len(got) != 1 {
		t.Error("full text not searchable")
	}
	if got, _ := s.Articles(ctx, Query{Search: "summary"}); len(got) != 0 {
		t.Error("old text still indexed")
	}
}

func TestRemovingArticlesSweepsTheirMedia(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := addFeed(t, s, "https://a/feed")
	b := addFeed(t, s, "https://b/feed")
	s.SaveFetch(ctx, a, &Fetched{Articles: []Article{{GUID: "1", Title: "a", HasImages: true}}})
	s.SaveFetch(ctx, b, &Fetched{Articles: []Article{{GUID: "1", Title: "b", HasImages: true}}})
	pend, _ := s.PendingMedia(ctx, 10)
	shared := bytes.Repeat([]byte{1}, 100)
	s.PutMedia(ctx, pend[0].ID, Media{URL: "https://a/only.png", MIME: "image/png", Data: []byte{2, 2}})
	s.PutMedia(ctx, pend[0].ID, Media{URL: "https://cdn/shared.png", MIME: "image/png", Data: shared})
	s.PutMedia(ctx, pend[1].ID, Media{URL: "https://cdn/shared.png", MIME: "image/png", Data: shared})
	if err := s.RemoveSource(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Media(ctx, "https://a/only.png"); err == nil {
		t.Error("the removed source's own image was kept")
	}
	if _, err := s.Media(ctx, "https://cdn/shared.png"); err != nil {
		t.Errorf("an image another article uses was removed: %v", err)
	}
	var blobs int
	s.db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs)
	if blobs != 1 {
		t.Errorf("%d blobs left, want the shared one", blobs)
	}
}

// A medium stored again takes the update half of each insert: a failed
// URL that comes later, a URL whose content changed, a content that
// another URL stored first.
func TestMediaStoredAgain(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	id := addFeed(t, s, "https://x/feed")
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "1", Title: "one", HasImages: true}, {GUID: "2", Title: "two", HasImages: true}}})
	pend, _ := s.PendingMedia(ctx, 10)
	if len(pend) != 2 {
		t.Fatalf("%d pending", len(pend))
	}
	a, b := pend[0].ID, pend[1].ID
	png1, png2 := []byte("\x89PNG one"), []byte("\x89PNG two")
	steps := []struct {
		name    string
		save    []MediaResult
		url     string
		want    []byte
		article int64
	}{
		{"failed first", []MediaResult{{ArticleID: a, URL: "https://x/1.png", Failed: "http-status"}}, "https://x/1.png", nil, a},
		{"then came", []MediaResult{{ArticleID: a, URL: "https://x/1.png", Media: &Media{MIME: "image/png", Data: png1}}}, "https://x/1.png", png1, a},
		{"content changed", []MediaResult{{ArticleID: a, URL: "https://x/1.png", Media: &Media{MIME: "image/png", Data: png2}}}, "https://x/1.png", png2, a},
		{"same content, other URL", []MediaResult{{ArticleID: b, URL: "https://cdn/2.png", Media: &Media{MIME: "image/png", Data: png2}}}, "https://cdn/2.png", png2, b},
	}
	for _, st := range steps {
		clock = clock.Add(time.Hour)
		if err := s.SaveMedia(ctx, st.save, nil); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ms, err := s.ArticleMedia(ctx, st.article)
		if err != nil || len(ms) != 1 || ms[0].URL != st.url || ms[0].Cached != (st.want != nil) || (st.want != nil && ms[0].Error != "") {
			t.Fatalf("%s: the article's media are %+v, %v", st.name, ms, err)
		}
		if st.want == nil {
			continue
		}
		var readAt int64
		s.db.QueryRow(`SELECT b.last_read FROM media m JOIN blobs b ON b.id = m.blob_id WHERE m.url = ?`, st.url).Scan(&readAt)
		if readAt != clock.Unix() {
			t.Errorf("%s: the content was last read at %d, not %d", st.name, readAt, clock.Unix())
		}
		m, err := s.Media(ctx, st.url)
		if err != nil || !bytes.Equal(m.Data, st.want) {
			t.Fatalf("%s: %s holds %q, %v", st.name, st.url, m.Data, err)
		}
	}
	var blobs int
	s.db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&blobs)
	if blobs != 2 {
		t.Errorf("%d blobs for two contents", blobs)
	}
}

// The images the parser listed come back with the pending article, and
// its HTML does not (the pass would only tokenise it again); an article
// stored without a list (from a bundle) comes back with its HTML.
func TestPendingCarriesTheListedImages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	const page = `<p><img src="https://x/1.png"></p>`
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{
		{GUID: "listed", Title: "listed", HTML: page, HasImages: true, Images: []string{"https://x/1.png", "https://x/2.png"}},
		{GUID: "none", Title: "none", HTML: `<img src="data:,">`, HasImages: true, Images: []string{}},
		{GUID: "unknown", Title: "unknown", HTML: page, HasImages: true},
	}})
	pend, err := s.PendingMedia(ctx, 10)
	if err != nil || len(pend) != 3 {
		t.Fatalf("%d pending, %v", len(pend), err)
	}
	want := []struct {
		images []string
		html   string
	}{{[]string{"https://x/1.png", "https://x/2.png"}, ""}, {[]string{}, ""}, {nil, page}}
	for i, w := range want {
		if !reflect.DeepEqual(pend[i].Images, w.images) || pend[i].HTML != w.html {
			t.Errorf("pending %d: images %#v, html %q; want %#v, %q", i, pend[i].Images, pend[i].HTML, w.images, w.html)
		}
	}
}
