package feeds

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

func TestParseChannel(t *testing.T) {
	for in, want := range map[string]string{
		"@azadinews": "azadinews", "https://t.me/azadinews": "azadinews", "https://t.me/s/azadinews": "azadinews",
		"t.me/azadinews": "azadinews", "t.me/s/azadinews?before=10": "azadinews", "https://t.me/azadinews/1001": "azadinews",
		"@ab": "", "@has space": "", "https://example.com/azadinews": "", "azadinews": "",
	} {
		got, ok := ParseChannel(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseChannel(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestParseChannelPage(t *testing.T) {
	page, err := ParseChannelPage(readFixture(t, "tg-page1.html"), "https://t.me/s/azadinews")
	if err != nil {
		t.Fatal(err)
	}
	if page.Title != "خبرنامه آزادی" || page.Description != "اخبار مستقل، هر روز" || page.Before != 1001 || len(page.Posts) != 3 {
		t.Fatalf("page: %q %q before %d, %d posts", page.Title, page.Description, page.Before, len(page.Posts))
	}
	p := page.Posts[0]
	if p.ID != 1001 || p.Channel != "azadinews" || len(p.Photos) != 1 || p.Photos[0] != "https://cdn4.telesco.pe/file/photo-1001.jpg" ||
		p.Views != "120K" || p.Date.Format("2006-01-02T15:04") != "2026-11-20T08:15" {
		t.Errorf("post 1001: %+v", p)
	}
	fwd := page.Posts[1]
	if fwd.ForwardedFrom != "World News" || fwd.PreviewURL != "https://netblocks.example/reports/1" || fwd.PreviewTitle != "Internet disrupted in Iran" {
		t.Errorf("forward: %+v", fwd)
	}
	if v := page.Posts[2]; v.Video != "https://cdn4.telesco.pe/file/video-1003.mp4" || v.Author != "مریم" {
		t.Errorf("video post: %+v", v)
	}

	pr := testParser()
	a := pr.postArticle(p)
	if a.GUID != "tg:azadinews/1001" || a.URL != "https://t.me/azadinews/1001" || a.Title != "تجمع امروز در میدان آزادی برگزار شد." || a.Dir != "rtl" {
		t.Errorf("article: %+v", a)
	}
	for _, want := range []string{`<img src="https://cdn4.telesco.pe/file/photo-1001.jpg">`, `href="https://news.example/1001"`, "<br"} {
		if !strings.Contains(a.HTML, want) {
			t.Errorf("article HTML lacks %s: %s", want, a.HTML)
		}
	}
	for _, bad := range []string{"<script", "onclick", "alert"} {
		if strings.Contains(a.HTML, bad) {
			t.Errorf("article HTML keeps %s", bad)
		}
	}
	f := pr.postArticle(fwd)
	if f.Title != "Internet shutdown reported in several provinces." || f.Author != "World News" || !strings.Contains(f.HTML, "Internet disrupted in Iran") || f.Dir != "ltr" {
		t.Errorf("forwarded article: %+v", f)
	}
}

func TestChannelPageErrors(t *testing.T) {
	tests := []struct {
		name, file, url, want string
	}{
		{"preview disabled", "tg-page1.html", "https://t.me/azadinews", "preview is disabled"},
		{"no posts", "tg-empty.html", "https://t.me/s/azadinews", "no public posts"},
		{"layout changed", "tg-changed.html", "https://t.me/s/azadinews", "layout"},
		{"not html", "atom.xml", "https://t.me/s/azadinews", "layout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChannelPage(readFixture(t, tt.file), tt.url)
			if !errors.Is(err, ErrChannel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrChannel saying %q", err, tt.want)
			}
		})
	}
}

// channelServer serves the fixtures as a channel's preview pages.
func channelServer(t *testing.T, fs *feedServer, page1 []byte) {
	fs.handle("/s/azadinews", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("before") {
		case "":
			w.Write(page1)
		case "1001":
			w.Write(readFixture(t, "tg-page0.html"))
		case "998":
			w.Write(readFixture(t, "tg-oldest.html"))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestRefreshChannel(t *testing.T) {
	fs := newFeedServer(t)
	page1 := readFixture(t, "tg-page1.html")
	channelServer(t, fs, page1)
	e := newEnv(t)
	id, _ := e.store.AddSource(context.Background(), cache.Source{Kind: cache.KindTelegram, URL: fs.URL + "/s/azadinews"})

	res := e.refreshAll(t)[fs.URL+"/s/azadinews"]
	if !res.OK || res.New != 7 || res.URLUsed != fs.URL+"/s/azadinews" || res.Route != transport.RouteDirect {
		t.Fatalf("first refresh: %+v", res)
	}
	src, _ := e.store.Source(context.Background(), id)
	if src.Name != "خبرنامه آزادی" || src.Cursor != "1003" {
		t.Errorf("source after backfill: name %q cursor %q", src.Name, src.Cursor)
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{Search: "نخستین"}); len(got) != 1 {
		t.Error("the channel's first post, three pages back, was not read")
	}

	// A new post: the next refresh reads one page and adds one article.
	newer := strings.Replace(string(page1), `data-post="azadinews/1003"`, `data-post="azadinews/1004"`, 1)
	channelServer(t, fs, []byte(newer))
	res = e.refreshAll(t)[fs.URL+"/s/azadinews"]
	if !res.OK || res.New != 1 {
		t.Errorf("second refresh: %+v", res)
	}
	src, _ = e.store.Source(context.Background(), id)
	if src.Cursor != "1004" {
		t.Errorf("cursor %q after the new post", src.Cursor)
	}

	// The channel corrects a post already read: the article follows.
	edited := strings.Replace(newer, "Internet shutdown reported in several provinces.", "Internet shutdown confirmed in several provinces.", 1)
	channelServer(t, fs, []byte(edited))
	res = e.refreshAll(t)[fs.URL+"/s/azadinews"]
	if !res.OK || res.New != 0 || res.Updated != 1 {
		t.Errorf("refresh after an edit: %+v", res)
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{Search: "confirmed"}); len(got) != 1 {
		t.Error("the edited post's new words are not found")
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{Search: "reported"}); len(got) != 0 {
		t.Error("the edited post is still found by its old words")
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{SourceID: id}); len(got) != 8 {
		t.Errorf("%d articles after the edit, want 8", len(got))
	}
}

func TestRefreshChannelBackfillLimit(t *testing.T) {
	fs := newFeedServer(t)
	channelServer(t, fs, readFixture(t, "tg-page1.html"))
	e := newEnv(t)
	e.r.Backfill = 3
	e.store.AddSource(context.Background(), cache.Source{Kind: cache.KindTelegram, URL: fs.URL + "/s/azadinews"})
	if res := e.refreshAll(t)[fs.URL+"/s/azadinews"]; !res.OK || res.New != 3 {
		t.Errorf("backfill of 3: %+v", res)
	}
}

func TestRefreshChannelMirrorAndDisabled(t *testing.T) {
	fs := newFeedServer(t)
	channelServer(t, fs, readFixture(t, "tg-page1.html"))
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	e := newEnv(t)
	e.store.AddSource(context.Background(), cache.Source{Kind: cache.KindTelegram, URL: deadURL + "/s/azadinews", Mirrors: []string{fs.URL}})
	res := e.refreshAll(t)[deadURL+"/s/azadinews"]
	if !res.OK || res.URLUsed != fs.URL+"/s/azadinews" || res.New != 7 {
		t.Fatalf("mirror did not take over: %+v", res)
	}

	// Telegram sends a channel without a preview to its plain page.
	fs2 := newFeedServer(t)
	fs2.handle("/s/closedchan", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/closedchan", http.StatusFound) })
	fs2.handle("/closedchan", serveBytes([]byte("<html><body>channel</body></html>")))
	e2 := newEnv(t)
	e2.store.AddSource(context.Background(), cache.Source{Kind: cache.KindTelegram, URL: fs2.URL + "/s/closedchan"})
	res = e2.refreshAll(t)[fs2.URL+"/s/closedchan"]
	if res.OK || !strings.Contains(res.Err.Error(), "preview is disabled") {
		t.Errorf("disabled preview: %+v", res)
	}
}

// Shapes of real channel pages: a video's thumbnail and a link preview's
// picture are kept like photos; a sticker or a voice message says what it
// is; a post with nothing to show is not an empty article.
func TestChannelPostShapes(t *testing.T) {
	page, err := ParseChannelPage(readFixture(t, "tg-shapes.html"), "https://t.me/s/shapeschan")
	if err != nil {
		t.Fatal(err)
	}
	pr := testParser()
	byID := map[int64]cache.Article{}
	for _, p := range page.Posts {
		byID[p.ID] = pr.postArticle(p)
	}
	tests := []struct {
		id        int64
		contains  []string
		hasImages bool
		empty     bool
	}{
		{20, []string{`<img src="https://cdn4.telesco.pe/file/thumb-20.jpg">`, "video-20.mp4"}, true, false},
		{21, []string{`<img src="https://cdn4.telesco.pe/file/preview-21.jpg">`, "The report"}, true, false},
		{22, []string{`<img src="https://cdn4.telesco.pe/file/preview-22.jpg">`, "Big picture"}, true, false},
		{23, []string{"[Sticker]"}, false, false},
		{24, []string{"only the Telegram app shows"}, false, false},
		{25, []string{"[Voice message]"}, false, false},
		{26, nil, false, true},
	}
	for _, tt := range tests {
		a, ok := byID[tt.id]
		if !ok {
			t.Errorf("post %d not parsed", tt.id)
			continue
		}
		for _, want := range tt.contains {
			if !strings.Contains(a.HTML, want) {
				t.Errorf("post %d lacks %s: %s", tt.id, want, a.HTML)
			}
		}
		if a.HasImages != tt.hasImages {
			t.Errorf("post %d: HasImages %v", tt.id, a.HasImages)
		}
		if empty := strings.TrimSpace(a.Text) == "" && !a.HasImages; empty != tt.empty {
			t.Errorf("post %d: empty %v, want %v (text %q)", tt.id, empty, tt.empty, a.Text)
		}
		if !tt.empty && a.Title == "" {
			t.Errorf("post %d has no title", tt.id)
		}
	}
}

func TestChannelJoinPage(t *testing.T) {
	for _, u := range []string{"https://t.me/s/closedchan", "https://t.me/closedchan"} {
		_, err := ParseChannelPage(readFixture(t, "tg-join.html"), u)
		if !errors.Is(err, ErrNoPreview) || !errors.Is(err, ErrChannel) {
			t.Errorf("%s: err = %v, want ErrNoPreview", u, err)
		}
		if err != nil && (strings.Contains(err.Error(), "layout") || !strings.Contains(err.Error(), "bridge") || !strings.Contains(err.Error(), "mirror")) {
			t.Errorf("%s: %v: should say there is no public preview and what to do", u, err)
		}
	}
}

// A channel on t.me has Telegram's other names as built-in mirrors, after
// the reader's own; a channel on another host (a mirror the reader set as
// its host) has only the reader's.
func TestChannelAlternatives(t *testing.T) {
	got := channelAlternatives("https://t.me", "khabar", []string{"https://mirror.example/s/khabar"}, 123)
	want := []string{"https://mirror.example/s/khabar?before=123", "https://telegram.me/s/khabar?before=123", "https://telegram.dog/s/khabar?before=123"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("on t.me: %q, want %q", got, want)
	}
	if got := channelAlternatives("https://t.lab", "khabar", nil, 0); len(got) != 0 {
		t.Errorf("on another host: %q", got)
	}
	for in, want := range map[string]string{
		"https://cdn4.telesco.pe/file/abc.jpg":       "https://cdn4.cdn-telegram.org/file/abc.jpg",
		"https://CDN1.cdn-telegram.org/file/x.jpg?y": "https://cdn1.telesco.pe/file/x.jpg?y",
		"https://telesco.pe/file/x.jpg":              "",
		"http://cdn4.telesco.pe/file/x.jpg":          "",
		"https://cdn4.telesco.pe.evil.example/x.jpg": "",
		"https://news.example/photo.jpg":             "",
	} {
		if got := telegramMediaAlt(in); got != want {
			t.Errorf("telegramMediaAlt(%q) = %q, want %q", in, got, want)
		}
	}
	if name, ok := ParseChannel("https://telegram.dog/s/khabar"); !ok || name != "khabar" {
		t.Errorf("telegram.dog: %q %v", name, ok)
	}
}

// recordingFetcher fails every request, keeping them.
type recordingFetcher struct {
	mu   sync.Mutex
	reqs []*transport.Request
}

func (f *recordingFetcher) Fetch(_ context.Context, req *transport.Request) (*transport.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	return nil, &transport.Error{URL: req.URL, Attempts: []transport.Attempt{{URL: req.URL, Verdict: transport.VerdictTLSReset, Err: errors.New("reset")}}}
}

// The refresh asks for a t.me channel's page with Telegram's other names
// beside it, and for a Telegram photo with its other media host.
func TestChannelFetchTriesOtherNames(t *testing.T) {
	f := &recordingFetcher{}
	r := &Refresher{Fetcher: f, Parser: NewParser()}
	res := &Result{Source: cache.Source{Kind: cache.KindTelegram, URL: "https://t.me/s/khabar"}}
	r.fetchChannel(context.Background(), res)
	if len(f.reqs) != 1 || !slices.Contains(f.reqs[0].Alternatives, "https://telegram.dog/s/khabar") {
		t.Fatalf("requests %+v", f.reqs)
	}
	o := &Offliner{Fetcher: f}
	o.image(context.Background(), "https://cdn5.telesco.pe/file/p.jpg", "")
	if last := f.reqs[len(f.reqs)-1]; len(last.Alternatives) != 1 || last.Alternatives[0] != "https://cdn5.cdn-telegram.org/file/p.jpg" {
		t.Errorf("image request %+v", last)
	}
}
