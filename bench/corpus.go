package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"html"
	"image"
	"image/png"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// feed is one generated feed, served with validators.
type feed struct {
	body         []byte
	etag         string
	lastModified string
	ctype        string
}

var faWords = strings.Fields(`خبر تهران اعتراض مردم دولت گزارش امروز شهر دانشگاه اینترنت
	کتاب روزنامه خبرنگار جهان اقتصاد قیمت بازار آزادی زنان دانشجو ایران سیاست فرهنگ هنر ورزش
	گفت است بود شد کرد نیز این آن برای با از به در که را و`)

var enWords = strings.Fields(`news report today city university internet book newspaper
	reporter world economy price market freedom women students politics culture art sport
	said says was were has have the a of to in and for with on by from`)

// makeCorpus generates n feeds of items each, about size bytes each, half
// Persian and half English, alternating RSS 2.0 and Atom. It is the same
// for the same seed. With imgBase, every item shows one image of its own,
// imgBase/img/FEED/ITEM.png (served by imageHandler).
func makeCorpus(n, items, size int, seed uint64, imgBase string) []feed {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]feed, n)
	for i := range out {
		words := enWords
		if i%2 == 0 {
			words = faWords
		}
		perItem := size / items
		var b bytes.Buffer
		atom := i%4 >= 2
		title := fmt.Sprintf("Feed %d %s", i, sentence(r, words, 3))
		if atom {
			fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>%s</title><link href="https://site%d.example/"/><id>urn:feed:%d</id><updated>%s</updated>
`, html.EscapeString(title), i, i, base.Format(time.RFC3339))
		} else {
			fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>%s</title><link>https://site%d.example/</link><description>generated</description>
`, html.EscapeString(title), i)
		}
		for j := range items {
			start := b.Len()
			t := base.Add(-time.Duration(i*items+j) * time.Minute)
			itemTitle := sentence(r, words, 6+r.IntN(6))
			link := fmt.Sprintf("https://site%d.example/news/%d", i, j)
			var content strings.Builder
			for content.Len() < perItem-400 {
				fmt.Fprintf(&content, "<p>%s</p>", sentence(r, words, 20+r.IntN(20)))
			}
			// Images only from the corpus server: the items' hosts are made up,
			// and the bench contacts loopback only.
			if imgBase != "" {
				fmt.Fprintf(&content, `<p><img src="%s/img/%d/%d.png"></p>`, imgBase, i, j)
			}
			fmt.Fprintf(&content, `<p><a href="/more/%d">more</a></p>`, j)
			if atom {
				fmt.Fprintf(&b, "<entry><title>%s</title><link href=\"%s\"/><id>%s</id><updated>%s</updated><author><name>Desk</name></author><content type=\"html\">%s</content></entry>\n",
					html.EscapeString(itemTitle), link, link, t.Format(time.RFC3339), html.EscapeString(content.String()))
			} else {
				fmt.Fprintf(&b, "<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>%s</pubDate><description><![CDATA[%s]]></description></item>\n",
					html.EscapeString(itemTitle), link, link, t.Format(time.RFC1123Z), content.String())
			}
			_ = start
		}
		if atom {
			b.WriteString("</feed>\n")
		} else {
			b.WriteString("</channel></rss>\n")
		}
		sum := sha256.Sum256(b.Bytes())
		ctype := "application/rss+xml; charset=utf-8"
		if atom {
			ctype = "application/atom+xml; charset=utf-8"
		}
		out[i] = feed{body: b.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`,
			lastModified: base.Add(time.Duration(i) * time.Second).Format(http.TimeFormat), ctype: ctype}
	}
	return out
}

// imagePNG is a 4 KB PNG of noise; imageHandler makes it distinct per
// item with a text chunk naming the item, so that no two share a hash.
var imagePNG = func() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	r := rand.New(rand.NewPCG(7, 7))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}()

// imageHandler serves /img/FEED/ITEM.png: imagePNG with a tEXt chunk
// before its end.
func imageHandler(hits *stats) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i, j int
		if _, err := fmt.Sscanf(r.URL.Path, "/img/%d/%d.png", &i, &j); err != nil {
			http.NotFound(w, r)
			return
		}
		hits.addImage()
		text := []byte(fmt.Sprintf("tEXtid\x00%d/%d", i, j))
		var chunk bytes.Buffer
		binary.Write(&chunk, binary.BigEndian, uint32(len(text)-4))
		chunk.Write(text)
		binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(text))
		end := len(imagePNG) - 12 // the IEND chunk
		// As a static file is served: whole, with its length.
		body := slices.Concat(imagePNG[:end], chunk.Bytes(), imagePNG[end:])
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
}

func sentence(r *rand.Rand, words []string, n int) string {
	var b strings.Builder
	for k := range n {
		if k > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// handler serves the corpus at /feed/N, with conditional GET.
func handler(corpus []feed, hits *stats) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		path, fresh := strings.CutPrefix(r.URL.Path, "/fresh") // /fresh/feed/N ignores validators
		path = strings.Replace(path, "/imgfeed/", "/feed/", 1)
		if _, err := fmt.Sscanf(path, "/feed/%d", &i); err != nil || i < 0 || i >= len(corpus) {
			http.NotFound(w, r)
			return
		}
		f := corpus[i]
		if !fresh && notModified(r, f) {
			hits.add(true)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hits.add(false)
		w.Header().Set("ETag", f.etag)
		w.Header().Set("Last-Modified", f.lastModified)
		w.Header().Set("Content-Type", f.ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
		w.Write(f.body)
	})
}

// notModified follows RFC 9110: If-None-Match when sent, else
// If-Modified-Since compared as a date.
func notModified(r *http.Request, f feed) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return inm == f.etag || inm == "*"
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	lm, _ := http.ParseTime(f.lastModified)
	return !lm.After(ims)
}
