package cache

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rulesTest stands in for the feeds package's rules.
var rulesTest = ImportRules{Clean: cleanTest, IsBridge: func(s string) bool {
	return regexp.MustCompile(`^(instagram|x|telegram):[A-Za-z0-9_.]{1,64}$`).MatchString(s)
}}

// cleanTest stands in for the feeds sanitiser: it drops scripts.
func cleanTest(html string) (string, string) {
	for {
		i := strings.Index(html, "<script>")
		j := strings.Index(html, "</script>")
		if i < 0 || j < i {
			break
		}
		html = html[:i] + html[j+len("</script>"):]
	}
	return html, strings.TrimSpace(strings.NewReplacer("<p>", "", "</p>", " ").Replace(html))
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func counts(t *testing.T, s *Store) (sources, articles int) {
	t.Helper()
	s.db.QueryRow(`SELECT count(*) FROM sources`).Scan(&sources)
	s.db.QueryRow(`SELECT count(*) FROM articles`).Scan(&articles)
	return
}

func TestBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	from := openTest(t)
	img := pngBytes(t)
	news := addFeed(t, from, "https://news.example/feed")
	from.SetMirrors(ctx, news, []string{"https://mirror.example/feed"})
	channel, _ := from.AddSource(ctx, Source{Kind: KindTelegram, URL: "https://t.me/s/khabar", Name: "خبر"})
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	from.SaveFetch(ctx, news, &Fetched{Articles: []Article{
		{GUID: "n1", URL: "https://news.example/1", Title: "Shutdown", HTML: `<p>Lines cut.</p><img src="https://news.example/a.png">`, Text: "Lines cut.", Published: day, HasImages: true},
		{GUID: "n2", Title: "Old news", HTML: "<p>Old.</p>", Text: "Old.", Published: day.Add(-30 * 24 * time.Hour)},
	}})
	from.SaveFetch(ctx, channel, &Fetched{Articles: []Article{
		{GUID: "c1", Title: "اعتراض", HTML: "<p>متن</p>", Text: "متن", Published: day, Dir: "rtl"},
	}})
	arts, _ := from.Articles(ctx, Query{SourceID: news})
	var shutdown int64
	for _, a := range arts {
		if a.Title == "Shutdown" {
			shutdown = a.ID
		}
	}
	if err := from.PutMedia(ctx, shutdown, Media{URL: "https://news.example/a.png", MIME: "image/png", Data: img}); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	st, err := from.ExportBundle(ctx, &buf, BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != 2 || st.Articles != 3 || st.Media != 1 || st.MediaBytes != int64(len(img)) {
		t.Errorf("export stats %+v", st)
	}

	to := openTest(t)
	got, err := to.ImportBundle(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), rulesTest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sources != 2 || got.Articles != 3 || got.Existing != 0 || got.Media != 1 {
		t.Errorf("import stats %+v", got)
	}
	srcs, _ := to.Sources(ctx)
	if len(srcs) != 2 {
		t.Fatalf("%d sources", len(srcs))
	}
	for _, s := range srcs {
		if s.URL == "https://news.example/feed" && (len(s.Mirrors) != 1 || s.Mirrors[0] != "https://mirror.example/feed") {
			t.Errorf("mirrors lost: %+v", s)
		}
		if !s.LastOK.IsZero() {
			t.Errorf("an imported source looks refreshed: %+v", s)
		}
	}
	found, _ := to.Articles(ctx, Query{Search: "اعتراض"})
	if len(found) != 1 || found[0].Dir != "rtl" {
		t.Fatalf("the Persian article is not searchable or lost its direction: %+v", found)
	}
	m, err := to.Media(ctx, "https://news.example/a.png")
	if err != nil || !bytes.Equal(m.Data, img) {
		t.Errorf("image: %v", err)
	}

	// Again: nothing new, nothing changed.
	again, err := to.ImportBundle(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), rulesTest)
	if err != nil || again.Articles != 0 || again.Existing != 3 || again.Sources != 0 {
		t.Errorf("second import %+v, %v", again, err)
	}

	// Since: only the recent ones; one source only.
	buf.Reset()
	st, err = from.ExportBundle(ctx, &buf, BundleOptions{SourceIDs: []int64{news}, Since: day.Add(-time.Hour)})
	if err != nil || st.Sources != 1 || st.Articles != 1 {
		t.Errorf("filtered export %+v, %v", st, err)
	}
	if _, err := from.ExportBundle(ctx, &buf, BundleOptions{SourceIDs: []int64{999}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown source: %v", err)
	}
}

// An article already here is left as it is: a bundle cannot rewrite it.
func TestBundleKeepsWhatIsHere(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://news.example/feed")
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "n1", Title: "The true story", HTML: "<p>true</p>", Text: "true", Published: time.Now()}}})
	b := makeBundle(t, bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 7, Kind: KindFeed, URL: "https://news.example/feed", Name: "News"}}},
		`{"source":7,"guid":"n1","title":"A false story","html":"<p>false</p>","published":1}`+"\n"+
			`{"source":7,"guid":"n2","title":"New <script>x</script>","html":"<p>new</p><script>alert(1)</script>","published":1}`, nil)
	st, err := s.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest)
	if err != nil || st.Articles != 1 || st.Existing != 1 || st.Sources != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	arts, _ := s.Articles(ctx, Query{})
	for _, a := range arts {
		full, _ := s.Article(ctx, a.ID)
		if a.Title == "A false story" || strings.Contains(full.HTML, "<script>") {
			t.Errorf("imported %q: %q", a.Title, full.HTML)
		}
	}
}

func makeBundle(t *testing.T, man bundleManifest, articles string, media map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("manifest.json")
	json.NewEncoder(w).Encode(man)
	w, _ = zw.Create("articles.jsonl")
	w.Write([]byte(articles))
	var index []bundleMedia
	for u, data := range media {
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		index = append(index, bundleMedia{URL: u, Hash: h, MIME: "image/png"})
		w, _ = zw.Create("media/" + h)
		w.Write(data)
	}
	w, _ = zw.Create("media.json")
	json.NewEncoder(w).Encode(index)
	zw.Close()
	return buf.Bytes()
}

func TestBundleHostile(t *testing.T) {
	ctx := context.Background()
	ok := bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 1, Kind: KindFeed, URL: "https://a.example/feed", Name: "A"}}}
	line := `{"source":1,"guid":"g","title":"T","html":"<p>x</p>","published":1}`
	with := func(f func(m *bundleManifest)) bundleManifest {
		m := ok
		m.Sources = append([]bundleSource(nil), ok.Sources...)
		f(&m)
		return m
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK? no"), "not a valid zip"},
		{"no manifest", func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			zw.Create("articles.jsonl")
			zw.Close()
			return b.Bytes()
		}(), "no manifest"},
		{"another format", makeBundle(t, with(func(m *bundleManifest) { m.Format = "something" }), line, nil), "something"},
		{"newer", makeBundle(t, with(func(m *bundleManifest) { m.Version = 9 }), line, nil), "newer Kabootar"},
		{"script source", makeBundle(t, with(func(m *bundleManifest) { m.Sources[0].URL = "javascript:alert(1)" }), line, nil), "not a web address"},
		{"bad kind", makeBundle(t, with(func(m *bundleManifest) { m.Sources[0].Kind = "shell" }), line, nil), "unknown kind"},
		{"key twice", makeBundle(t, with(func(m *bundleManifest) { m.Sources = append(m.Sources, m.Sources[0]) }), line, nil), "twice"},
		{"unknown source", makeBundle(t, ok, `{"source":2,"title":"T","html":"x"}`, nil), "does not list"},
		{"broken line", makeBundle(t, ok, line+"\n{\"source\":1,", nil), "line 2"},
		{"empty article", makeBundle(t, ok, `{"source":1}`, nil), "neither title nor text"},
		{"huge article", makeBundle(t, ok, `{"source":1,"title":"big","html":"<p>`+strings.Repeat("x", maxBundleArticleHTML)+`</p>"}`, nil), "more than 2 MB"},
		{"huge line", makeBundle(t, ok, `{"source":1,"title":"`+strings.Repeat("x", maxBundleLine+10)+`"}`, nil), "too long"},
		{"no articles", func() []byte {
			var b bytes.Buffer
			zw := zip.NewWriter(&b)
			w, _ := zw.Create("manifest.json")
			json.NewEncoder(w).Encode(ok)
			zw.Close()
			return b.Bytes()
		}(), "no articles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			id := addFeed(t, s, "https://kept.example/feed")
			s.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "k", Title: "kept", Published: time.Now()}}})
			_, err := s.ImportBundle(ctx, bytes.NewReader(tt.data), int64(len(tt.data)), rulesTest)
			if !errors.Is(err, ErrBadBundle) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrBadBundle saying %q", err, tt.want)
			}
			if srcs, arts := counts(t, s); srcs != 1 || arts != 1 {
				t.Errorf("the cache changed: %d sources, %d articles", srcs, arts)
			}
		})
	}
}

// Images that are not what the bundle says are left out; the article
// still comes in.
func TestBundleBadMedia(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	man := bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 1, Kind: KindFeed, URL: "https://a.example/feed", Name: "A"}}}
	b := makeBundle(t, man, `{"source":1,"guid":"g","title":"T\u001b[2J","url":"javascript:alert(1)","html":"<p>x</p>","published":1,"media":["https://a.example/ok.png","https://a.example/not.png","https://a.example/bomb.png"]}`,
		map[string][]byte{"https://a.example/ok.png": pngBytes(t), "https://a.example/not.png": []byte("#!/bin/sh\nrm -rf /"),
			"https://a.example/bomb.png": pngHeader(30000, 30000)})
	st, err := s.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest)
	if err != nil || st.Articles != 1 || st.Media != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if _, err := s.Media(ctx, "https://a.example/not.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a script stored as an image: %v", err)
	}
	if _, err := s.Media(ctx, "https://a.example/bomb.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a pixel bomb stored: %v", err)
	}
	list, _ := s.Articles(ctx, Query{})
	if a, _ := s.Article(ctx, list[0].ID); a.Title != "T[2J" || a.URL != "" {
		t.Errorf("imported article: title %q, url %q", a.Title, a.URL)
	}
}

// Images beyond the media budget are left out of an import (a zip can
// inflate them a thousandfold); the articles still come in.
func TestBundleMediaBudget(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	s.SetSetting(ctx, SettingMediaBudgetMB, "1")
	big := append(pngBytes(t), bytes.Repeat([]byte{0}, 700<<10)...) // a PNG header, then zeros: 700 KB
	other := append(pngBytes(t), bytes.Repeat([]byte{1}, 700<<10)...)
	man := bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 1, Kind: KindFeed, URL: "https://a.example/feed", Name: "A"}}}
	b := makeBundle(t, man, `{"source":1,"guid":"g","title":"T","html":"<p>x</p>","published":1,"media":["https://a.example/1.png","https://a.example/2.png"]}`,
		map[string][]byte{"https://a.example/1.png": big, "https://a.example/2.png": other})
	st, err := s.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest)
	if err != nil || st.Articles != 1 || st.Media != 1 || st.MediaBytes > 1<<20 {
		t.Fatalf("%+v %v", st, err)
	}
}

// An article sent before its image came is sent again, with the image, in
// the next incremental bundle; the reader who has the article gets the
// image and the article becomes complete offline. An image the article
// here does not show is not attached to it.
func TestIncrementalBundleCarriesLateImages(t *testing.T) {
	ctx := context.Background()
	from, to := openTest(t), openTest(t)
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	from.now = func() time.Time { return clock }
	id := addFeed(t, from, "https://news.example/feed")
	const page = `<p>story</p><p><img src="https://img.example/a.png?w=1&amp;h=2"></p>`
	from.SaveFetch(ctx, id, &Fetched{Articles: []Article{
		{GUID: "late", Title: "late", HTML: page, Text: "story", HasImages: true, Published: clock},
		{GUID: "plain", Title: "plain", HTML: "<p>plain</p>", Text: "plain", Published: clock},
	}})
	export := func(opt BundleOptions) (BundleStats, []byte) {
		t.Helper()
		var buf bytes.Buffer
		st, err := from.ExportBundle(ctx, &buf, opt)
		if err != nil {
			t.Fatal(err)
		}
		return st, buf.Bytes()
	}
	importInto := func(b []byte) BundleStats {
		t.Helper()
		st, err := to.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	// The first export goes before the image came: the reader's copy has
	// none, and its pass could not fetch it (the site is blocked there).
	first, b := export(BundleOptions{})
	firstAt := clock
	importInto(b)
	pend, _ := to.PendingMedia(ctx, 10)
	if len(pend) != 1 {
		t.Fatalf("%d pending at the reader", len(pend))
	}
	const img = "https://img.example/a.png?w=1&h=2"
	to.SaveMedia(ctx, []MediaResult{{ArticleID: pend[0].ID, URL: img, Failed: "tcp-timeout"}}, []int64{pend[0].ID})

	// Nothing came since: nothing to send.
	clock = clock.Add(time.Hour)
	if st, _ := export(BundleOptions{AfterID: first.LastID, ImagesSince: firstAt}); st.Articles != 0 {
		t.Fatalf("an export with nothing new sent %d articles", st.Articles)
	}
	// The image comes here; the next export sends the article again with it.
	p, _ := from.PendingMedia(ctx, 10)
	from.SaveMedia(ctx, []MediaResult{
		{ArticleID: p[0].ID, URL: img, Media: &Media{MIME: "image/png", Data: pngBytes(t)}},
		{ArticleID: p[0].ID, URL: "https://img.example/not-shown.png", Media: &Media{MIME: "image/png", Data: append(pngBytes(t), 0)}},
	}, []int64{p[0].ID})
	second, b := export(BundleOptions{AfterID: first.LastID, ImagesSince: firstAt})
	if second.Articles != 1 {
		t.Fatalf("the next export sent %d articles, want the one whose image came", second.Articles)
	}
	st := importInto(b)
	if st.Articles != 0 || st.Existing != 1 || st.Media != 1 {
		t.Fatalf("import of the late image: %+v", st)
	}
	ms, _ := to.ArticleMedia(ctx, pend[0].ID)
	if len(ms) != 1 || ms[0].URL != img || !ms[0].Cached {
		t.Errorf("the reader's article's media: %+v", ms)
	}
	if a, _ := to.Article(ctx, pend[0].ID); !a.OfflineComplete {
		t.Error("the article is not complete offline with its image come")
	}
	if _, err := to.Media(ctx, "https://img.example/not-shown.png"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an image the article does not show was attached: %v", err)
	}
}
