package cache

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSaveFetchMatchesKnownArticles(t *testing.T) {
	ctx := context.Background()
	day := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		first, next Article
		wantSame    bool
	}{
		{"same GUID, new title", Article{GUID: "g1", URL: "https://x/1", Title: "old"}, Article{GUID: "g1", URL: "https://x/1b", Title: "new"}, true},
		{"other GUID", Article{GUID: "g1", Title: "a"}, Article{GUID: "g2", Title: "a"}, false},
		{"no GUID, same link", Article{URL: "https://x/1", Title: "old"}, Article{URL: "https://x/1", Title: "new"}, true},
		{"no GUID, other link", Article{URL: "https://x/1", Title: "a"}, Article{URL: "https://x/2", Title: "a"}, false},
		{"title and date", Article{Title: "t", Published: day, Text: "v1"}, Article{Title: "t", Published: day, Text: "v2"}, true},
		{"title, other date", Article{Title: "t", Published: day}, Article{Title: "t", Published: day.Add(time.Hour)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			id := addFeed(t, s, "https://x/feed")
			if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: []Article{tt.first}}); err != nil {
				t.Fatal(err)
			}
			list, _ := s.Articles(ctx, Query{SourceID: id})
			first := list[0].ID
			s.SetRead(ctx, first, true)
			s.SetStarred(ctx, first, true)

			res, err := s.SaveFetch(ctx, id, &Fetched{Articles: []Article{tt.next}})
			if err != nil {
				t.Fatal(err)
			}
			list, _ = s.Articles(ctx, Query{SourceID: id})
			if tt.wantSame {
				if len(list) != 1 || res.New != 0 || res.Updated != 1 {
					t.Fatalf("want one article updated in place, got %d articles, %+v", len(list), res)
				}
				a, _ := s.Article(ctx, first)
				if !a.Read || !a.Starred {
					t.Error("read/starred state lost on update")
				}
				if a.Title != tt.next.Title || a.Summary != tt.next.Text {
					t.Errorf("not updated: %+v", a)
				}
			} else if len(list) != 2 || res.New != 1 {
				t.Fatalf("want a second article, got %d, %+v", len(list), res)
			}
		})
	}
}

func TestSaveFetchUnchangedAndUndated(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	a := Article{GUID: "g", Title: "no date"}
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{a}})
	clock = clock.Add(time.Hour)
	res, err := s.SaveFetch(ctx, id, &Fetched{Articles: []Article{a}})
	if err != nil || res.New != 0 || res.Updated != 0 {
		t.Fatalf("unchanged article: %+v, %v", res, err)
	}
	got, _ := s.Articles(ctx, Query{})
	if !got[0].Published.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("an undated article takes the time first seen, and keeps it: %v", got[0].Published)
	}
}

func TestSaveFetchRecordsSourceState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	s.SaveFailure(ctx, id, Failure{Verdict: "tcp-reset", Error: "reset", Route: "direct"})
	s.SaveFailure(ctx, id, Failure{Verdict: "tcp-reset", Error: "reset"})
	src, _ := s.Source(ctx, id)
	if src.Failures != 2 || src.LastVerdict != "tcp-reset" || src.LastRoute != "direct" {
		t.Fatalf("after failures: %+v", src)
	}
	due := time.Now().Add(time.Hour).Truncate(time.Second)
	_, err := s.SaveFetch(ctx, id, &Fetched{ETag: `"e"`, LastModified: "lm", Route: "direct", Name: "Feed name", NextDue: due,
		Articles: []Article{{GUID: "1", Title: "one"}}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ = s.Source(ctx, id)
	if src.Failures != 0 || src.LastVerdict != "" || src.ETag != `"e"` || src.LastModified != "lm" ||
		src.Name != "Feed name" || src.LastOK.IsZero() || !src.NextDue.Equal(due) || src.Unread != 1 {
		t.Fatalf("after success: %+v", src)
	}
	if d, _ := s.DueSources(ctx, time.Now()); len(d) != 0 {
		t.Errorf("source due before its time: %v", d)
	}
	// A failure afterwards keeps articles and validators.
	s.SaveFailure(ctx, id, Failure{Verdict: "http-status", Error: "404"})
	src, _ = s.Source(ctx, id)
	if src.ETag != `"e"` || src.Unread != 1 {
		t.Fatalf("failure lost state: %+v", src)
	}
}

func TestSearchNormalisesPersian(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	other := addFeed(t, s, "https://y/feed")
	arts := []Article{
		{GUID: "1", Title: "كتاب تازه", Text: "نمايشگاه كتاب\u200cها در تهران"},       // Arabic keyboard; a plural with ZWNJ
		{GUID: "2", Title: "می\u200cخواهم بخوانم", Text: "سال ۱۴۰۳ خبرها"},            // ZWNJ, Persian digits
		{GUID: "3", Title: "Elections", Text: "The election results were announced."}, // English
		{GUID: "4", Title: "عَرَبِيّ", Text: "کتــــاب"},                              // harakat, tatweel
		{GUID: "5", Title: "کتابخانه ملی", Text: "Library"},                           // another word
	}
	s.SaveFetch(ctx, id, &Fetched{Articles: arts})
	s.SaveFetch(ctx, other, &Fetched{Articles: []Article{{GUID: "o", Title: "کتاب دیگر"}}})

	tests := []struct {
		q      string
		source int64
		want   int
	}{
		{"کتاب", 0, 3},
		{"کتابها", 0, 1}, // the plural, written with ZWNJ
		{"کتاب*", 0, 4},  // a word typed with * is a prefix: کتابخانه too
		{"elections", 0, 1},
		{"كتاب", id, 2},
		{"نمایشگاه", 0, 1},
		{"میخواهم", 0, 1},
		{"1403", 0, 1},
		{"۱۴۰۳", 0, 1},
		{"election", 0, 1}, // "Elections" too, in the same article
		{"ELECTION results", 0, 1},
		{"عربی", 0, 1},
		{"absent", 0, 0},
		{`"unbalanced`, 0, 0},
	}
	for _, tt := range tests {
		got, err := s.Articles(ctx, Query{Search: tt.q, SourceID: tt.source})
		if err != nil {
			t.Fatalf("%q: %v", tt.q, err)
		}
		if len(got) != tt.want {
			t.Errorf("search %q found %d, want %d", tt.q, len(got), tt.want)
		}
	}

	// The index follows updates and removals.
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "3", Title: "Weather", Text: "Rain."}}})
	if got, _ := s.Articles(ctx, Query{Search: "election"}); len(got) != 0 {
		t.Error("old text still found after update")
	}
	if got, _ := s.Articles(ctx, Query{Search: "rain"}); len(got) != 1 {
		t.Error("new text not found after update")
	}
	s.RemoveSource(ctx, other)
	if got, _ := s.Articles(ctx, Query{Search: "دیگر"}); len(got) != 0 {
		t.Error("removed source's article still found")
	}
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	s.SetSetting(ctx, SettingRetentionPerSource, "3")
	s.SetSetting(ctx, SettingRetentionDays, "30")
	clock := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }

	var arts []Article
	for i := range 6 {
		arts = append(arts, Article{GUID: fmt.Sprint(i), Title: fmt.Sprint("t", i), Published: clock.Add(-time.Duration(i) * 24 * time.Hour)})
	}
	arts = append(arts, Article{GUID: "old", Title: "old", Published: clock.AddDate(0, -3, 0)})
	// A fetch keeps its newest articles up to the count (a feed of 100,000
	// items is not kept whole), whatever their order in the feed.
	slices.Reverse(arts)
	s.SaveFetch(ctx, id, &Fetched{Articles: arts})
	got, _ := s.Articles(ctx, Query{})
	if len(got) != 3 || got[0].Title != "t0" || got[2].Title != "t2" {
		t.Fatalf("kept %d of the fetch: %+v", len(got), got)
	}
	s.SetStarred(ctx, got[2].ID, true) // t2

	// Newer articles push the older out, but for the starred one; and
	// what passed the age limit goes even when the count has room.
	clock = clock.Add(time.Hour)
	fresh := []Article{{GUID: "n0", Title: "n0", Published: clock}, {GUID: "n1", Title: "n1", Published: clock.Add(-time.Minute)}}
	s.SaveFetch(ctx, id, &Fetched{Articles: fresh})
	got, _ = s.Articles(ctx, Query{})
	titles := map[string]bool{}
	for _, a := range got {
		titles[a.Title] = true
	}
	// Kept: the three newest, and the starred one.
	if len(got) != 4 || !titles["n0"] || !titles["n1"] || !titles["t0"] || !titles["t2"] {
		t.Fatalf("kept %v", titles)
	}
	clock = clock.AddDate(0, 2, 0)
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "n2", Title: "n2", Published: clock}}})
	got, _ = s.Articles(ctx, Query{})
	titles = map[string]bool{}
	for _, a := range got {
		titles[a.Title] = true
	}
	if len(got) != 2 || !titles["n2"] || !titles["t2"] {
		t.Fatalf("after two months kept %v, want the new one and the starred one", titles)
	}
}

func TestAddSources(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeed(t, s, "https://a/feed")
	n, err := s.AddSources(ctx, []Source{{URL: "https://a/feed"}, {URL: "https://b/feed", Mirrors: []string{"https://m/feed"}}})
	if err != nil || n != 1 {
		t.Fatalf("added %d, %v", n, err)
	}
	// One bad source: none of the batch is stored.
	if _, err := s.AddSources(ctx, []Source{{URL: "https://c/feed"}, {URL: ""}}); err == nil {
		t.Fatal("a source without URL was accepted")
	}
	list, _ := s.Sources(ctx)
	if len(list) != 2 || list[1].Mirrors[0] != "https://m/feed" {
		t.Fatalf("sources: %+v", list)
	}
	if _, err := s.AddSource(ctx, Source{URL: "https://a/feed"}); err == nil {
		t.Error("duplicate accepted")
	}
}

func TestSettingsRoutesMedia(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, ok, _ := s.Setting(ctx, "k"); ok {
		t.Fatal("unset setting found")
	}
	s.SetSetting(ctx, "k", "1")
	s.SetSetting(ctx, "k", "2")
	if v, ok, _ := s.Setting(ctx, "k"); !ok || v != "2" {
		t.Fatalf("setting %q", v)
	}
	if err := s.SetSetting(ctx, SettingRetentionDays, "lots"); err == nil {
		t.Error("a bad retention setting was stored")
	}
	if r, err := s.Retention(ctx); err != nil || r.MaxAge != DefaultRetentionDays*24*time.Hour {
		t.Errorf("retention %+v, %v", r, err)
	}

	old := time.Now().Add(-8 * 24 * time.Hour)
	s.RecordRoute(ctx, RouteRecord{Network: "home", Host: "h", Route: "direct", URL: "https://h/", OK: false, Verdict: "tcp-reset", At: old})
	s.RecordRoute(ctx, RouteRecord{Network: "home", Host: "h", Route: "socks5://127.0.0.1:1080", URL: "https://h/", OK: true, Elapsed: 120 * time.Millisecond})
	s.RecordRoute(ctx, RouteRecord{Network: "mobile", Host: "h", Route: "split", URL: "https://h/", OK: true})
	s.RecordRoute(ctx, RouteRecord{Network: "home", Host: "g", Route: "direct", URL: "https://g/", OK: true, At: old.Add(time.Hour)})
	r, _ := s.Routes(ctx, "home", "h")
	if len(r) != 2 || !r[0].OK || r[0].Elapsed != 120*time.Millisecond {
		t.Fatalf("routes %+v", r)
	}
	if r, _ := s.Routes(ctx, "mobile", "h"); len(r) != 1 || r[0].Route != "split" {
		t.Fatalf("another network's routes: %+v", r)
	}
	if w, _ := s.Winners(ctx, "home", 10); len(w) != 2 || w[0].Host != "h" || w[0].Route != "socks5://127.0.0.1:1080" || w[1].Host != "g" {
		t.Fatalf("winners %+v", w)
	}
	s.ForgetRoutes(ctx, time.Now().Add(-7*24*time.Hour))
	if r, _ := s.Routes(ctx, "home", "h"); len(r) != 1 {
		t.Fatalf("old route not forgotten: %+v", r)
	}

	id := addFeed(t, s, "https://x/feed")
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "1"}}})
	list, _ := s.Articles(ctx, Query{})
	if err := s.PutMedia(ctx, list[0].ID, Media{URL: "https://x/a.png", MIME: "image/png", Data: []byte{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Media(ctx, "https://x/a.png"); err != nil || m.MIME != "image/png" || len(m.Data) != 2 {
		t.Fatalf("media %+v, %v", m, err)
	}
}

func TestSearchNewestFirstAndKeyCollisions(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	// Two articles of the same second whose hashes share the 20 bits
	// searchKey takes: found by the birthday paradox in a few thousand.
	seen := map[string]Article{}
	var pair []Article
	for i := 0; pair == nil; i++ {
		a := Article{GUID: fmt.Sprint("c", i), Title: "collision", Text: "زلزله", Published: day}
		h := articleHash(&a)[:5]
		if b, ok := seen[h]; ok {
			pair = []Article{b, a}
		}
		seen[h] = a
	}
	arts := append(pair,
		Article{GUID: "old", Title: "old", Text: "زلزله", Published: day.AddDate(0, -1, 0)},
		Article{GUID: "new", Title: "new", Text: "زلزله", Published: day.AddDate(0, 0, 1)},
	)
	if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: arts}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Articles(ctx, Query{Search: "زلزله"})
	if err != nil || len(got) != 4 {
		t.Fatalf("found %d, %v", len(got), err)
	}
	if got[0].Title != "new" || got[3].Title != "old" {
		t.Errorf("order: %s … %s, want newest first", got[0].Title, got[3].Title)
	}

	// An article whose date changes moves in the index, and stays found once.
	moved := arts[2]
	moved.Published = day.AddDate(0, 0, 2)
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{moved}})
	got, _ = s.Articles(ctx, Query{Search: "زلزله"})
	if len(got) != 4 || got[0].Title != "old" {
		t.Errorf("after the date moved: %d found, first %q", len(got), got[0].Title)
	}
	if page, _ := s.Articles(ctx, Query{Search: "زلزله", Limit: 2, Offset: 2}); len(page) != 2 || page[1].ID != got[3].ID {
		t.Errorf("second page: %+v", page)
	}
}

// Articles without a date get the refresh's time, and many feeds hold an
// item with the same (often empty) content: across sources they share one
// second and one hash, and every one of them gets a key.
func TestSaveFetchManyArticlesOneSecondOneHash(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	fixed := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return fixed }
	for i := range 300 {
		id := addFeed(t, s, fmt.Sprint("https://x/feed", i))
		res, err := s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{HTML: "<p></p>"}, {Title: "t"}}})
		if err != nil {
			t.Fatalf("source %d: %v", i, err)
		}
		if res.New != 2 || res.Skipped != 0 {
			t.Fatalf("source %d: saved %+v, want 2 new", i, res)
		}
	}
	got, err := s.Articles(ctx, Query{Limit: 2000})
	if err != nil || len(got) != 600 {
		t.Fatalf("%d articles, %v", len(got), err)
	}
}
