package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// benchFeed is an RSS feed of 50 items, about 100 KB, Persian text with
// markup, like the items of the refresh benchmark.
func benchFeed() []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>bench</title><link>https://b.example/</link>`)
	para := strings.Repeat("خبر تهران اعتراض مردم دولت گزارش امروز شهر دانشگاه اینترنت ", 4)
	for i := range 50 {
		fmt.Fprintf(&b, `<item><title>عنوان خبر شماره %d</title><link>https://b.example/%d</link><guid>g%d</guid><pubDate>Mon, 23 Nov 2026 08:30:00 +0330</pubDate><description><![CDATA[`, i, i, i)
		for range 5 {
			fmt.Fprintf(&b, `<p>%s <a href="/x/%d">پیوند</a></p>`, para, i)
		}
		b.WriteString(`<img src="/img.jpg" alt="عکس">]]></description></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	body := benchFeed()
	p := NewParser()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(body, "https://b.example/feed"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefreshCold refreshes 100 feeds of about 130 KB each, served on
// loopback, into an empty cache per operation: fetch, parse, store.
func BenchmarkRefreshCold(b *testing.B) {
	body := benchFeed()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each feed its own GUIDs, so every item is new.
		w.Write(bytes.ReplaceAll(body, []byte("<guid>g"), []byte("<guid>"+r.URL.Path)))
	}))
	defer srv.Close()
	client := transport.New(transport.Options{})
	defer client.Close()
	const feeds = 100
	b.SetBytes(int64(len(body) * feeds))
	for b.Loop() {
		b.StopTimer()
		st, err := cache.Open(context.Background(), filepath.Join(b.TempDir(), cache.FileName))
		if err != nil {
			b.Fatal(err)
		}
		var srcs []cache.Source
		for i := range feeds {
			id, _ := st.AddSource(context.Background(), cache.Source{Kind: cache.KindFeed, URL: fmt.Sprintf("%s/f%d", srv.URL, i)})
			s, _ := st.Source(context.Background(), id)
			srcs = append(srcs, s)
		}
		r := &Refresher{Fetcher: client, Store: st, Parser: NewParser()}
		b.StartTimer()
		for _, res := range r.Refresh(context.Background(), srcs, nil) {
			if !res.OK || res.New != 50 {
				b.Fatalf("%+v", res)
			}
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
