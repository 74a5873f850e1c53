package lab

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// The lab's servers run in the test binary itself, started again inside a
// namespace with KBLAB_ROLE set (see TestMain).

// Lab addresses: nothing outside 10.66.0.0/16 is ever used.
const (
	clientIP   = "10.66.1.2"
	censorIP   = "10.66.1.1" // the client's gateway
	censorWIP  = "10.66.2.1"
	worldIP    = "10.66.2.2" // resolver and proxies
	newsIP     = "10.66.2.10"
	mirrorIP   = "10.66.2.11"
	dohIP      = "10.66.2.12"
	telegramIP = "10.66.2.13"  // a Telegram-like host serving channel previews
	cdnIP      = "10.66.2.14"  // a CDN-like host serving the news site by its Host header
	blockedIP  = "10.10.34.34" // what the censor's DNS answers
	socksPort  = "1080"
	socksAuth  = "1081"
	tinyPort   = "8888"
	labCIDR    = "10.66.0.0/16"
	newsHost   = "news.lab"
	mirrorHost = "mirror.lab"
	dohHost    = "doh.lab"
	cdnHost    = "cdn.lab"
	tgHost     = "t.lab"
	tgChannel  = "labnews"
)

// telegramNames are Telegram's real names, served in the lab by the
// Telegram-like host and answered by the lab's own resolvers only: the
// telegram-sni scenario reads a channel on t.me through its other names.
var telegramNames = []string{"t.me", "telegram.me", "telegram.dog"}

// feedItems is the size of the lab's feed: about 60 KB, so that the
// throttled scenario takes a couple of seconds at 256 kbit/s.
const feedItems = 30

func labFeed() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>خبرگزاری آزمایشگاه</title><link>https://news.lab/</link>`)
	para := strings.Repeat("گزارش تازه از تهران درباره اینترنت و آزادی خبر ", 8)
	for i := range feedItems {
		img := ""
		if i == 0 { // one photo, fetched for offline reading through the same routes
			img = `<p><img src="https://news.lab/photo.png"></p>`
		}
		fmt.Fprintf(&b, `<item><title>خبر شماره %d</title><link>https://news.lab/n/%d</link><guid>lab-%d</guid><pubDate>%s</pubDate><description><![CDATA[<p>%s</p>%s<p>%s</p><p>%s</p>]]></description></item>`,
			i, i, i, time.Date(2026, 11, 20, 8, i, 0, 0, time.UTC).Format(time.RFC1123Z), para, img, para, para)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func runRole(role string) {
	log.SetFlags(0)
	log.SetPrefix("lab " + role + ": ")
	switch role {
	case "world":
		world()
	case "censor":
		censor()
	case "feeds":
		localFeed()
	default:
		log.Fatalf("unknown role %q", role)
	}
}

// world serves the news site and its mirror (HTTP and HTTPS) and a
// DNS-over-HTTPS resolver, until killed.
func world() {
	cert, err := tls.LoadX509KeyPair(os.Getenv("KBLAB_CERT"), os.Getenv("KBLAB_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	feed := labFeed()
	sum := sha256.Sum256(feed)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	site := http.NewServeMux()
	site.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(feed)
	})
	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	site.HandleFunc("/photo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pic.Bytes())
	})
	// A channel's public preview, as t.me/s/NAME serves it, three pages
	// back to its first post (the site's mirror serves it too).
	pages := map[string][]byte{}
	for before, name := range map[string]string{"": "tg-page1.html", "1001": "tg-page0.html", "998": "tg-oldest.html"} {
		page, err := os.ReadFile("../../internal/feeds/testdata/" + name)
		if err != nil {
			log.Fatal(err)
		}
		pages[before] = bytes.ReplaceAll(page, []byte("azadinews"), []byte(tgChannel))
	}
	site.HandleFunc("/s/"+tgChannel, func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Query().Get("before")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	site.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!doctype html><html><head><title>news</title><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>news</body></html>`)
	})
	// The CDN serves the sites it carries by their Host header, whatever
	// name the TLS hello gave (its certificate is good for cdn.lab).
	cdn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Host; h != newsHost && h != mirrorHost {
			http.Error(w, "no such site on this CDN", http.StatusNotFound)
			return
		}
		site.ServeHTTP(w, r)
	})
	answers := map[string]string{newsHost: newsIP, mirrorHost: mirrorIP, dohHost: dohIP, tgHost: telegramIP, cdnHost: cdnIP}
	for _, n := range telegramNames {
		answers[n] = telegramIP
	}
	// The CDN's Encrypted Client Hello key, published as the news site's
	// HTTPS record (with the CDN's address as its hint) by the lab's DoH.
	echKey, echList, err := transporttest.ECHKey(cdnHost, 1)
	if err != nil {
		log.Fatal(err)
	}
	doh := transporttest.DoHRecords(answers, map[string]transporttest.HTTPS{
		newsHost: {ECH: echList, Hints: []netip.Addr{netip.MustParseAddr(cdnIP)}},
	})
	errs := make(chan error)
	for _, s := range []struct {
		addr string
		h    http.Handler
		tls  bool
		ech  bool
	}{
		{newsIP + ":80", site, false, false}, {newsIP + ":443", site, true, false},
		{mirrorIP + ":80", site, false, false}, {mirrorIP + ":443", site, true, false},
		{telegramIP + ":443", site, true, false},
		{cdnIP + ":443", cdn, true, true},
		{dohIP + ":443", doh, true, false},
	} {
		srv := &http.Server{Addr: s.addr, Handler: s.h, ErrorLog: log.New(io.Discard, "", 0),
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
		if s.ech {
			srv.TLSConfig.EncryptedClientHelloKeys = []tls.EncryptedClientHelloKey{echKey}
		}
		go func() {
			if s.tls {
				errs <- srv.ListenAndServeTLS("", "")
			} else {
				errs <- srv.ListenAndServe()
			}
		}()
	}
	fmt.Println("ready")
	log.Fatal(<-errs)
}

// censor serves the block page the censor redirects HTTP to, as the
// real filter does.
func censor() {
	page := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256"><title>MNN3-1(1)</title></head>` +
		`<body><iframe src="http://10.10.34.34?type=Invalid Site&policy=MainPolicy" style="width: 100%; height: 100%" scrolling="no" frameborder="0"></iframe></body></html>`
	ln, err := net.Listen("tcp", censorIP+":80")
	if err != nil {
		log.Fatal(err)
	}
	serveDPI(dpiPort, false)
	serveDPI(dpiStrictPort, true)
	fmt.Println("ready")
	// As Iran's filter answers: 403, no Server or Date header, and the
	// connection closed after the page.
	srv := &http.Server{ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Connection", "close")
		w.Header()["Date"] = nil // Go would add one
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, page)
	})}
	log.Fatal(srv.Serve(ln))
}

// localFeed serves, on KBLAB_ADDR, a feed of KBLAB_ITEMS items titled
// KBLAB_TITLE: a reader's own news site in the sharing lab.
func localFeed() {
	title := os.Getenv("KBLAB_TITLE")
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>http://%s/</link>`, title, os.Getenv("KBLAB_ADDR"))
	for i := range 12 {
		fmt.Fprintf(&b, `<item><title>%s %d</title><link>http://%s/n/%d</link><guid>%s-%d</guid><pubDate>%s</pubDate><description>خبر %d از %s</description></item>`,
			title, i, os.Getenv("KBLAB_ADDR"), i, title, i, time.Now().Add(-time.Duration(i)*time.Hour).UTC().Format(time.RFC1123Z), i, title)
	}
	b.WriteString(`</channel></rss>`)
	feed := []byte(b.String())
	ln, err := net.Listen("tcp", os.Getenv("KBLAB_ADDR"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready")
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(feed)
	})))
}
