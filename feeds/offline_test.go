package feeds

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/cache"
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
