package feeds

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
)

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	return b.Bytes()
}

func TestOfflineImagesAndFullText(t *testing.T) {
	fs := newFeedServer(t)
	pic := pngBytes(t)
	fs.handle("/img/ok.png", serveBytes(pic))
	fs.handle("/img/same.png", serveBytes(pic)) // the same content under another URL
	fs.handle("/img/page.png", serveBytes([]byte("<html>not an image</html>")))
	fs.handle("/story/1", serveBytes([]byte(`<html><head><title>Story</title></head><body><nav>menu menu</nav>
		<article><h1>The whole story</h1>`+strings.Repeat("<p>The earthquake struck the city at dawn, and the reporters who were there tell the whole story of the rescue that followed, hour by hour, street by street.</p>", 8)+
		`<img src="/img/ok.png"></article><footer>footer</footer></body></html>`)))
	feed := fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
		<item><guid>1</guid><title>with images</title><link>%[1]s/story/1</link><description><![CDATA[<p>short</p><img src="%[1]s/img/ok.png"><img src="%[1]s/img/same.png">]]></description></item>
		<item><guid>2</guid><title>broken images</title><link>%[1]s/story/2</link><description><![CDATA[<img src="%[1]s/img/missing.png"><img src="%[1]s/img/page.png">]]></description></item>
		</channel></rss>`, fs.URL)
	fs.handle("/feed", serveBytes([]byte(feed)))
	fs.handle("/feed-full", serveBytes([]byte(strings.ReplaceAll(feed, "<guid>", "<guid>full-"))))

	e := newEnv(t)
	e.add(t, fs.URL+"/feed")
	ctx := context.Background()
	full, _ := e.store.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: fs.URL + "/feed-full", FullText: true})
	e.refreshAll(t)

	o := &Offliner{Fetcher: e.r.Fetcher, Store: e.store, Parser: NewParser()}
	st, err := o.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 4 || st.FullText != 1 || st.Failed < 2 {
		t.Errorf("stats %+v", st)
	}
	arts, _ := e.store.Articles(ctx, cache.Query{Limit: 10})
	byTitle := map[string][]cache.Summary{}
	for _, a := range arts {
		byTitle[a.Title] = append(byTitle[a.Title], a)
	}
	for _, a := range byTitle["with images"] {
		if !a.OfflineComplete {
			t.Errorf("article %d with all its images stored is not complete offline", a.ID)
		}
		ms, _ := e.store.ArticleMedia(ctx, a.ID)
		want := 2 // the feed's two images
		if a.SourceID == full {
			want = 1 // the full text's one
		}
		if len(ms) != want {
			t.Errorf("article %d media: %+v, want %d", a.ID, ms, want)
		}
	}
	for _, a := range byTitle["broken images"] {
		if a.OfflineComplete {
			t.Errorf("article %d with broken images counted complete", a.ID)
		}
		ms, _ := e.store.ArticleMedia(ctx, a.ID)
		for _, m := range ms {
			if m.Cached || m.Error == "" {
				t.Errorf("broken image state: %+v", m)
			}
		}
	}
	if m, err := e.store.Media(ctx, fs.URL+"/img/ok.png"); err != nil || m.MIME != "image/png" || !bytes.Equal(m.Data, pic) {
		t.Errorf("stored image: %v %q", err, m.MIME)
	}
	// The full-text source's article now holds the page's story, searchable.
	got, _ := e.store.Articles(ctx, cache.Query{Search: "earthquake", SourceID: full})
	if len(got) != 1 {
		t.Fatalf("full text not stored or not searchable: %d", len(got))
	}
	a, _ := e.store.Article(ctx, got[0].ID)
	if !strings.Contains(a.HTML, "rescue") || strings.Contains(a.HTML, "menu menu") {
		t.Errorf("full text: %s", a.HTML)
	}
	// A second run has nothing to do.
	if st, _ := o.Run(ctx); st.Articles != 0 {
		t.Errorf("second run redid %d articles", st.Articles)
	}
}

func TestOfflinerFullTextOnDemand(t *testing.T) {
	fs := newFeedServer(t)
	pic := pngBytes(t)
	fs.handle("/img/p.png", serveBytes(pic))
	fs.handle("/story", serveBytes([]byte(`<html><body><article><h1>Story</h1>`+strings.Repeat("<p>The long account of the night the network went dark, told by the people who kept the news moving through proxies and mirrors.</p>", 6)+
		`<img src="/img/p.png"></article></body></html>`)))
	fs.handle("/feed", serveBytes([]byte(fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>teaser</title><link>%s/story</link><description>short</description></item></channel></rss>`, fs.URL))))
	e := newEnv(t)
	e.add(t, fs.URL+"/feed")
	e.refreshAll(t)
	ctx := context.Background()
	arts, _ := e.store.Articles(ctx, cache.Query{})
	o := &Offliner{Fetcher: e.r.Fetcher, Store: e.store, Parser: NewParser()}
	if err := o.FullText(ctx, arts[0].ID, fs.URL+"/story"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.Articles(ctx, cache.Query{Search: "mirrors"}); len(got) != 1 || !got[0].OfflineComplete {
		t.Errorf("full text not stored, searchable and complete: %+v", got)
	}
	if err := o.FullText(ctx, arts[0].ID, fs.URL+"/missing"); err == nil {
		t.Error("a missing page gave no error")
	}
}

// Images come while feeds still arrive: a pass started before the refresh
// stores the images of what the refresh stored, before it is waited for.
func TestOfflinePassRunsBesideTheRefresh(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/img/a.png", serveBytes(pngBytes(t)))
	fs.handle("/feed", serveBytes([]byte(fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
		<item><guid>1</guid><title>a</title><description><![CDATA[<img src="%s/img/a.png">]]></description></item></channel></rss>`, fs.URL))))
	e := newEnv(t)
	e.add(t, fs.URL+"/feed")
	ctx := context.Background()
	o := &Offliner{Fetcher: e.r.Fetcher, Store: e.store, Parser: NewParser()}
	pass := o.Start(ctx)
	srcs, _ := e.store.Sources(ctx)
	e.r.Refresh(ctx, srcs, func(Progress) { pass.Wake() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := e.store.Media(ctx, fs.URL+"/img/a.png"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the image was not stored while the pass ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := pass.Wait()
	if err != nil || st.Images != 1 || st.Articles != 1 {
		t.Errorf("%+v %v", st, err)
	}
}

// A host whose images trickle a byte at a time costs a bounded time: each
// image has its timeout, recorded as such, and after a few the host's
// other images wait for the next refresh; other hosts are not held up.
// Pixel bombs are refused.
func TestOfflineImagesAreBounded(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		for _, c := range pngBytes(t) {
			if _, err := w.Write([]byte{c}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(200 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer slow.Close()
	var bomb bytes.Buffer
	png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 20000, 1)))
	fs := newFeedServer(t)
	fs.handle("/img/ok.png", serveBytes(pngBytes(t)))
	fs.handle("/img/bomb.png", serveBytes(bomb.Bytes()))
	var items strings.Builder
	for i := range 10 {
		fmt.Fprintf(&items, `<item><guid>s%d</guid><title>slow %d</title><description><![CDATA[<img src="%s/%d.png"><img src="%s/%d-b.png">]]></description></item>`,
			i, i, slow.URL, i, slow.URL, i)
	}
	fmt.Fprintf(&items, `<item><guid>ok</guid><title>ok</title><description><![CDATA[<img src="%s/img/ok.png"><img src="%s/img/bomb.png">]]></description></item>`, fs.URL, fs.URL)
	fs.handle("/feed", serveBytes([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`+items.String()+`</channel></rss>`)))
	e := newEnv(t)
	e.add(t, fs.URL+"/feed")
	e.refreshAll(t)
	ctx := context.Background()
	o := &Offliner{Fetcher: e.r.Fetcher, Store: e.store, Parser: NewParser(), ImageTimeout: 300 * time.Millisecond,
		HostTimeouts: 2, Concurrency: 4, PerHost: 2}
	start := time.Now()
	st, err := o.Run(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 3*time.Second {
		t.Errorf("the pass took %v with a trickling host", took)
	}
	if st.Images != 1 || st.Failed < 3 || st.Deferred == 0 {
		t.Errorf("stats %+v: want the good image, the timeouts and the bomb failed, the rest deferred", st)
	}
	if _, err := e.store.Media(ctx, fs.URL+"/img/bomb.png"); err == nil {
		t.Error("a 20,000-pixel-wide image was stored")
	}
	timeouts := 0
	arts, _ := e.store.Articles(ctx, cache.Query{Limit: 100})
	for _, a := range arts {
		ms, _ := e.store.ArticleMedia(ctx, a.ID)
		for _, m := range ms {
			if m.Error == "http-timeout" {
				timeouts++
			}
		}
	}
	if timeouts < 2 {
		t.Errorf("%d timeouts recorded", timeouts)
	}
	// What was set aside is tried at the next refresh.
	if pending, _ := e.store.PendingMedia(ctx, 100); len(pending) != st.Deferred {
		t.Errorf("%d articles pending, %d deferred", len(pending), st.Deferred)
	}
}

// gatedStore holds every SaveMedia until its gate is opened.
type gatedStore struct {
	OfflineStore
	gate chan struct{}
}

func (g *gatedStore) SaveMedia(ctx context.Context, results []cache.MediaResult, done []int64) error {
	<-g.gate
	return g.OfflineStore.SaveMedia(ctx, results, done)
}

// While the cache is slow to write, the images fetched and waiting for it
// are bounded in bytes, not only in number: large images must not pile
// up in memory. Once the cache answers, every image is stored.
func TestOfflineWaitingImagesAreBoundedInBytes(t *testing.T) {
	const n, size = 100, 512 << 10 // 50 MB of images in all
	var served atomic.Int64
	fs := newFeedServer(t)
	big := append(pngBytes(t), make([]byte, size)...)
	var items strings.Builder
	for i := range n {
		fs.handle(fmt.Sprintf("/img/%d.png", i), func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			w.Write(big)
		})
		fmt.Fprintf(&items, `<item><guid>%d</guid><title>t%d</title><description><![CDATA[<img src="%s/img/%d.png">]]></description></item>`, i, i, fs.URL, i)
	}
	fs.handle("/feed", serveBytes([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>`+items.String()+`</channel></rss>`)))
	e := newEnv(t)
	e.add(t, fs.URL+"/feed")
	e.refreshAll(t)
	store := &gatedStore{OfflineStore: e.store, gate: make(chan struct{})}
	o := &Offliner{Fetcher: e.r.Fetcher, Store: store, Parser: NewParser(), Concurrency: 8, PerHost: 8, MaxImage: 2 << 20}
	pass := o.Start(context.Background())
	// Until the fetching stops for want of room.
	last, still := int64(-1), time.Now()
	for deadline := time.Now().Add(10 * time.Second); time.Since(still) < 500*time.Millisecond; {
		if got := served.Load(); got != last {
			last, still = got, time.Now()
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Bound: a batch being stored and one collected (maxBatchBytes each,
	// and the image that filled it), the few in the writer's queue and one
	// in each fetcher's hands: 30 here, against all 100 before the bound.
	limit := 2*int64(maxBatchBytes/size+1) + int64(cap(pass.writes)) + int64(o.Concurrency)
	if got := served.Load(); got > limit {
		t.Errorf("%d images of 512 KB fetched while the cache wrote nothing: %d MB waiting", got, got*size>>20)
	}
	close(store.gate)
	st, err := pass.Wait()
	if err != nil || st.Images != n || st.Articles != n {
		t.Errorf("after the cache answered: %+v, %v; want %d images", st, err, n)
	}
}

func TestImages(t *testing.T) {
	tests := []struct {
		html string
		want []string
	}{
		{`<p>no images</p>`, nil},
		{`<p><img src="https://a/1.png"><img alt="x" src="http://a/2.png"/></p><img src="https://a/1.png">`, []string{"https://a/1.png", "http://a/2.png"}},
		{`<img src="data:image/png;base64,AAAA"><img src="/relative.png"><img src=" javascript:x">`, nil},
		{`<imgx src="https://a/no.png"><p>&lt;img src="https://a/text.png"&gt;</p><img src="https://a/yes.png">`, []string{"https://a/yes.png"}},
		{`<img src="https://a/cut.png`, nil},
	}
	for _, tt := range tests {
		if got := Images(tt.html); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Images(%s) = %v, want %v", tt.html, got, tt.want)
		}
	}
}
