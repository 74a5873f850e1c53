package misbehave

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// server is a web server built to misbehave, on loopback only: each path
// is one way a hostile or broken server answers.
type server struct {
	*httptest.Server
	raw string // host:port of a raw TCP server for what net/http cannot send
}

// serve runs the server until killed, printing its two addresses: it runs
// in a process of its own (TestMain), since a child's peak RSS as Linux
// reports it counts the memory of the process that started it, and the
// server holds tens of megabytes of bad feeds.
func serve() {
	s := newServer()
	fmt.Printf("serving %s %s\n", s.URL, s.raw)
	select {}
}

func newServer() *server {
	s := &server{}
	mux := http.NewServeMux()
	item := func(i int) string {
		return fmt.Sprintf("<item><guid>i%d</guid><title>item %d</title><description>text %d</description></item>", i, i, i)
	}
	feed := func(body string) string {
		return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:x="urn:x"><channel><title>misbehaving</title><link>https://site.example/</link>` + body + `</channel></rss>`
	}
	nested := func(levels int) []byte {
		var b bytes.Buffer
		b.WriteString(feed("<item><guid>deep</guid><title>deep</title>"))
		b.Truncate(b.Len() - len("</channel></rss>"))
		b.WriteString(strings.Repeat("<x:e>", levels))
		b.WriteString(strings.Repeat("</x:e>", levels))
		b.WriteString("</item></channel></rss>")
		return b.Bytes()
	}
	deepSmall, deepBig := nested(500_000), nested(1_800_000) // 5.5 MB and 19.8 MB
	mux.HandleFunc("/deep-small.xml", bytesHandler(deepSmall))
	mux.HandleFunc("/deep-big.xml", bytesHandler(deepBig))
	var many strings.Builder
	for i := range 100_000 {
		many.WriteString(item(i))
	}
	mux.HandleFunc("/items-100k.xml", bytesHandler([]byte(feed(many.String()))))
	mux.HandleFunc("/gzip-bomb.xml", transporttest.GzipBomb(1024)) // 1 GB inflated, about 1 MB sent
	mux.HandleFunc("/big.xml", transporttest.Big(64))
	mux.HandleFunc("/hang.xml", transporttest.Hang)
	mux.HandleFunc("/stall.xml", transporttest.Stall([]byte(feed("")[:60])))
	mux.HandleFunc("/eof.xml", transporttest.CutOff(100000, []byte(feed(item(1))[:80])))
	mux.HandleFunc("/hop/", transporttest.Redirects("/hop/", 30, []byte(feed(item(1)))))
	mux.HandleFunc("/deep.json", bytesHandler([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"deep","items":`+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+`}`)))
	mux.HandleFunc("/escapes.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/feed+json")
		io.WriteString(w, `{"version":"https://jsonfeed.org/version/1.1","title":"Esc\u001b]0;owned\u0007 feed","home_page_url":"javascript:alert(1)",
			"items":[{"id":"e1","url":"smb://evil.example/share","title":"\u001b[2J\u001b[31mred title","authors":[{"name":"A\u001b[0mB"}],
			"content_html":"<p>body \u001b[5m blink</p><script>alert(1)</script>"}]}`)
	})
	hostile, err := os.ReadFile("../../internal/feeds/testdata/hostile.xml")
	if err != nil {
		panic(err)
	}
	mux.HandleFunc("/hostile.xml", bytesHandler(hostile))
	// Images: a pixel bomb, one good image, and a host that trickles.
	var good, bomb bytes.Buffer
	png.Encode(&good, image.NewGray(image.Rect(0, 0, 8, 8)))
	png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 30000, 1))) // past the bound on one side; small to send
	mux.HandleFunc("/img/good.png", bytesHandler(good.Bytes()))
	mux.HandleFunc("/img/bomb.png", bytesHandler(bomb.Bytes()))
	mux.HandleFunc("/slowimg/", transporttest.Trickle("image/png", good.Bytes(), time.Second))
	s.Server = httptest.NewServer(mux)
	mux.HandleFunc("/images.xml", func(w http.ResponseWriter, r *http.Request) {
		var items strings.Builder
		fmt.Fprintf(&items, `<item><guid>good</guid><title>pictures</title><description><![CDATA[<img src="%s/img/good.png"><img src="%s/img/bomb.png">]]></description></item>`, s.URL, s.URL)
		io.WriteString(w, feed(items.String()))
	})
	mux.HandleFunc("/slow-images.xml", func(w http.ResponseWriter, r *http.Request) {
		var items strings.Builder
		for i := range 40 {
			fmt.Fprintf(&items, `<item><guid>s%d</guid><title>slow %d</title><description><![CDATA[<img src="%s/slowimg/%d.png"><img src="%s/slowimg/%d-b.png">]]></description></item>`, i, i, s.URL, i, s.URL, i)
		}
		io.WriteString(w, feed(items.String()))
	})
	raw, err := transporttest.RawStatus(500, strings.Repeat("\x1b[2J\x1b]0;pwned\x07Server Error ", 120)[:3000])
	if err != nil {
		panic(err)
	}
	s.raw = raw.Addr().String()
	return s
}

func bytesHandler(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write(b) }
}
