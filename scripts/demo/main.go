// Command demo fills a data directory with a few sources and articles, in
// English and Persian, with an image and a blocked source, for `make
// screenshot`. It writes the cache directly and contacts nothing.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

func main() {
	many := flag.Int("many", 0, "also this many generated articles, to measure the window on a big cache")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: demo [-many N] DATA_DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *many); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(dir string, many int) error {
	ctx := context.Background()
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := cache.Open(ctx, filepath.Join(dir, cache.FileName))
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Minute)
	fa, _ := st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://news.example/fa/rss", Name: "خبرگزاری نمونه"})
	tg, _ := st.AddSource(ctx, cache.Source{Kind: cache.KindTelegram, URL: "https://t.me/s/azadinews", Name: "خبرنامه آزادی"})
	en, _ := st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://world.example/feed", Name: "World desk"})
	blocked, _ := st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: "https://blocked.example/rss", Name: "Blocked Daily"})

	// used is the address that answered: the channel came from a mirror.
	save := func(id int64, route, used string, arts ...cache.Article) error {
		_, err := st.SaveFetch(ctx, id, &cache.Fetched{Route: route, URL: used, Articles: arts})
		return err
	}
	img := "https://news.example/fa/photo.png"
	if err := save(fa, "socks5://127.0.0.1:9050", "",
		cache.Article{GUID: "fa1", Title: "تجمع امروز در میدان آزادی برگزار شد", Published: now.Add(-20 * time.Minute), Dir: "rtl", URL: "https://news.example/fa/1",
			HTML: `<p>هزاران نفر امروز در <b>میدان آزادی</b> گرد آمدند. گزارش کامل را در <a href="https://news.example/fa/1">پایگاه خبری</a> بخوانید.</p><p><img src="` + img + `"></p><p>خبرنگاران ما از محل گزارش می` + "\u200c" + `دهند که اینترنت همراه در بیشتر نقاط شهر قطع است.</p>`,
			Text: "هزاران نفر امروز در میدان آزادی گرد آمدند", Author: "مریم احمدی", HasImages: true},
		cache.Article{GUID: "fa2", Title: "قطع اینترنت در ۱۲ استان از بامداد امروز", Published: now.Add(-2 * time.Hour), Dir: "rtl",
			HTML: "<p>گزارش\u200cها از قطع گسترده اینترنت در چند استان حکایت دارد.</p>", Text: "گزارش\u200cها از قطع گسترده اینترنت"},
	); err != nil {
		return err
	}
	if err := save(tg, "direct", "https://tg-mirror.example/s/azadinews",
		cache.Article{GUID: "tg:azadinews/1001", Title: "ویدئوی رسیده از اعتراضات شب گذشته", Published: now.Add(-50 * time.Minute), Dir: "rtl",
			HTML: "<p>ویدئوی رسیده از اعتراضات شب گذشته</p>", Text: "ویدئوی رسیده از اعتراضات شب گذشته"},
	); err != nil {
		return err
	}
	if err := save(en, "direct", "",
		cache.Article{GUID: "en1", Title: "Internet shutdown reported in several provinces", Published: now.Add(-35 * time.Minute),
			HTML: "<p>Connectivity fell by 80% across several provinces, according to network monitors.</p>", Text: "Connectivity fell by 80%"},
		cache.Article{GUID: "en2", Title: "Reporters describe the scene in the capital", Published: now.Add(-3 * time.Hour),
			HTML: "<p>Our correspondents describe the scene.</p>", Text: "Our correspondents describe the scene."},
	); err != nil {
		return err
	}
	if err := st.SaveFailure(ctx, blocked, cache.Failure{Verdict: "dns-bogon", Error: "the DNS answer is 10.10.34.34", NextDue: now.Add(time.Hour)}); err != nil {
		return err
	}
	// The photo, as the offline pass would have stored it.
	list, _ := st.Articles(ctx, cache.Query{SourceID: fa})
	var buf bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 480, 240))
	for y := range 240 {
		for x := range 480 {
			pic.Set(x, y, color.RGBA{uint8(30 + y/3), uint8(110 + x/8), 120, 255})
		}
	}
	png.Encode(&buf, pic)
	for _, a := range list {
		if a.Title == "تجمع امروز در میدان آزادی برگزار شد" {
			if err := st.PutMedia(ctx, a.ID, cache.Media{URL: img, MIME: "image/png", Data: buf.Bytes()}); err != nil {
				return err
			}
			st.MediaDone(ctx, a.ID)
		}
	}
	for s := 0; many > 0; s++ {
		id, err := st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: fmt.Sprint("https://many.example/", s), Name: fmt.Sprint("Source ", s)})
		if err != nil {
			return err
		}
		arts := make([]cache.Article, min(many, 1000))
		for i := range arts {
			arts[i] = cache.Article{GUID: fmt.Sprint(i), Title: fmt.Sprintf("Article %d of source %d", i, s), Text: "text", HTML: "<p>text</p>",
				Published: now.Add(-time.Duration(s*1000+i) * time.Minute)}
		}
		if _, err := st.SaveFetch(ctx, id, &cache.Fetched{Articles: arts}); err != nil {
			return err
		}
		many -= len(arts)
	}
	if err := demoSharing(ctx, st, dir, now); err != nil {
		return err
	}
	fmt.Println("demo data in", dir)
	return nil
}

// demoSharing sets a shared folder up as a reader who shares with a
// friend would have it: the reader's key, the friend's trusted, a bundle
// sent, one received and one waiting (for Settings > Sharing).
func demoSharing(ctx context.Context, st *cache.Store, dir string, now time.Time) error {
	if _, err := keys.Load(dir); err != nil {
		return err
	}
	friendDir, err := os.MkdirTemp("", "kabootar-demo-friend-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(friendDir)
	friend, err := keys.Load(friendDir)
	if err != nil {
		return err
	}
	strangerDir := filepath.Join(friendDir, "stranger")
	os.MkdirAll(strangerDir, 0o700)
	stranger, err := keys.Load(strangerDir)
	if err != nil {
		return err
	}
	if err := st.Trust(ctx, friend.Public(), "سارا"); err != nil {
		return err
	}
	shared, err := filepath.Abs(filepath.Join(dir, "shared"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(shared, 0o755); err != nil {
		return err
	}
	if err := st.SetSettings(ctx, map[string]string{"share.dir": shared}); err != nil {
		return err
	}
	if err := st.SaveExport(ctx, cache.Export{Place: shared, LastID: 1, At: now.Add(-2 * time.Hour), Articles: 42,
		File: filepath.Join(shared, "kabootar-mine.zip")}); err != nil {
		return err
	}
	for _, f := range []cache.ShareFile{
		{Path: filepath.Join(shared, "kabootar-sara.zip"), State: cache.ShareImported, Signer: friend.Public(), Articles: 37},
		{Path: filepath.Join(shared, "kabootar-unknown.zip"), State: cache.ShareUntrusted, Signer: stranger.Public(), Articles: 12},
	} {
		if err := st.SaveShareFile(ctx, f); err != nil {
			return err
		}
	}
	return nil
}
