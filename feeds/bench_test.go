package feeds

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
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
