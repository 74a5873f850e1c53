package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
)

// articles --json is streamed; what it prints is what one encoding of the
// whole answer would be, byte for byte.
func TestArticlesJSONStreamed(t *testing.T) {
	k := newKB(t)
	empty := k.must(0, "articles", "--json")
	if empty != "{\n  \"articles\": []\n}\n" {
		t.Errorf("no articles: %q", empty)
	}

	c, store := k.open(t)
	ctx := context.Background()
	id, err := store.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://news.example/feed"})
	if err != nil {
		t.Fatal(err)
	}
	var arts []cache.Article
	day := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for i := range 300 {
		arts = append(arts, cache.Article{GUID: fmt.Sprint(i), Title: fmt.Sprintf("خبر <%d> & \"quoted\"", i), URL: fmt.Sprint("https://news.example/", i),
			Published: day.Add(time.Duration(i) * time.Minute), Dir: "rtl"})
	}
	if _, err := store.SaveFetch(ctx, id, &cache.Fetched{Articles: arts}); err != nil {
		t.Fatal(err)
	}
	list, err := store.Articles(ctx, cache.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	c.stdout = &want
	out := struct {
		Articles []articleJSON `json:"articles"`
	}{}
	for _, a := range list {
		out.Articles = append(out.Articles, articleJSON{ID: a.ID, SourceID: a.SourceID, Title: a.Title, URL: a.URL,
			Published: a.Published.UTC().Format(time.RFC3339), Dir: a.Dir, Read: a.Read, Starred: a.Starred, OfflineComplete: a.OfflineComplete})
	}
	if err := c.printJSON(out); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if got := k.must(0, "articles", "--json", "--limit", "1000"); got != want.String() {
		t.Errorf("streamed JSON differs from the whole answer encoded:\n%.400s\nwant\n%.400s", got, want.String())
	}
}
