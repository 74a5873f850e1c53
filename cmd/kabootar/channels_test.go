package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// previewServer serves a channel's preview pages, and the photo they show,
// as t.me would.
func previewServer(t *testing.T) *httptest.Server {
	read := func(n string) []byte { b, _ := os.ReadFile(filepath.Join(fixtures, n)); return b }
	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/photo.jpg":
			w.Write(pic.Bytes())
		case r.URL.Path != "/s/azadinews":
			http.NotFound(w, r)
		case r.URL.Query().Get("before") == "1001":
			w.Write(read("tg-page0.html"))
		case r.URL.Query().Get("before") == "998":
			w.Write(read("tg-oldest.html"))
		default:
			// The page's photo lives on this server, not on Telegram's CDN.
			w.Write(bytes.ReplaceAll(read("tg-page1.html"), []byte("https://cdn4.telesco.pe/file/photo-1001.jpg"), []byte(srv.URL+"/photo.jpg")))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestChannelFromTheCommandLine(t *testing.T) {
	preview := previewServer(t)
	k := newKB(t)
	k.env = map[string]string{"KABOOTAR_TELEGRAM": preview.URL}
	out := k.must(0, "sources", "add", "https://t.me/s/azadinews")
	if !strings.Contains(out, "خبرنامه آزادی") {
		t.Errorf("add: %s", out)
	}
	var ref struct {
		Sources []map[string]any
		Media   map[string]any
	}
	k.json(&ref, "refresh", "--json")
	s := ref.Sources[0]
	if s["ok"] != true || s["new"] != 7.0 || s["url_used"] != preview.URL+"/s/azadinews" || s["route"] != "direct" {
		t.Errorf("channel refresh: %v", s)
	}
	if ref.Media["images"] != 1.0 {
		t.Errorf("media: %v (the photo of post 1001)", ref.Media)
	}
	var list struct{ Sources []map[string]any }
	k.json(&list, "sources", "list", "--json")
	if list.Sources[0]["kind"] != "telegram" {
		t.Errorf("kind %v", list.Sources[0]["kind"])
	}
	var arts struct{ Articles []map[string]any }
	k.json(&arts, "articles", "--search", "میدان", "--json")
	if len(arts.Articles) != 1 || arts.Articles[0]["offline_complete"] != true || arts.Articles[0]["url"] != "https://t.me/azadinews/1001" {
		t.Fatalf("post 1001: %v", arts.Articles)
	}
	show := k.must(0, "show", jsonID(arts.Articles[0]["id"]))
	if !strings.Contains(show, preview.URL+"/photo.jpg (saved") {
		t.Errorf("show lists no saved image:\n%s", show)
	}
	// The same again: nothing new, nothing refetched.
	k.json(&ref, "refresh", "--json")
	if ref.Sources[0]["new"] != 0.0 || ref.Media["articles"] != 0.0 {
		t.Errorf("second refresh: %v %v", ref.Sources[0], ref.Media)
	}
}

func TestChannelErrorsAndMirror(t *testing.T) {
	preview := previewServer(t)
	k := newKB(t)
	// t.me itself is down; the reader's preview mirror serves the pages.
	k.env = map[string]string{"KABOOTAR_TELEGRAM": "http://127.0.0.1:1"}
	k.must(0, "sources", "add", "@azadinews", "--mirror", preview.URL)
	var ref struct{ Sources []map[string]any }
	k.json(&ref, "refresh", "--json")
	if s := ref.Sources[0]; s["ok"] != true || s["url_used"] != preview.URL+"/s/azadinews" {
		t.Errorf("mirror: %v", s)
	}

	// The mirror pasted as the channel's whole address there, not doubled.
	k3 := newKB(t)
	k3.env = map[string]string{"KABOOTAR_TELEGRAM": "http://127.0.0.1:1"}
	k3.must(0, "sources", "add", "t.me/azadinews", "--mirror", preview.URL+"/s/azadinews")
	k3.json(&ref, "refresh", "--json")
	if s := ref.Sources[0]; s["ok"] != true || s["url_used"] != preview.URL+"/s/azadinews" {
		t.Errorf("mirror given as the channel's address: %v", s)
	}
	var list struct{ Sources []map[string]any }
	k3.json(&list, "sources", "list", "--json")
	if b, _ := json.Marshal(list.Sources[0]["mirror_urls"]); string(b) != `["`+preview.URL+`/s/azadinews"]` {
		t.Errorf("mirror_urls: %s", b)
	}
	if out := k3.must(0, "sources", "list"); !strings.Contains(out, "mirror") || !strings.Contains(out, preview.URL+"/s/azadinews") {
		t.Errorf("sources list does not say what the mirror is:\n%s", out)
	}

	closed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/s/") {
			http.Redirect(w, r, strings.TrimPrefix(r.URL.Path, "/s"), http.StatusFound)
			return
		}
		w.Write([]byte("<html>a channel</html>"))
	}))
	defer closed.Close()
	k2 := newKB(t)
	k2.env = map[string]string{"KABOOTAR_TELEGRAM": closed.URL}
	code, _, errs := k2.run("sources", "add", "@closedchan")
	if code != 1 || !strings.Contains(errs, "preview is disabled") || !strings.Contains(errs, "nothing added") {
		t.Errorf("disabled preview: exit %d, %s", code, errs)
	}
}

func TestBridges(t *testing.T) {
	feed := `<?xml version="1.0"?><rss version="2.0"><channel><title>someone on Instagram</title>
		<item><guid>ig1</guid><title>A photo from the square</title><link>https://instagram.example/p/1</link></item></channel></rss>`
	var asked []string
	bridge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		if r.URL.Path == "/instagram/user/someone" {
			w.Write([]byte(feed))
			return
		}
		http.NotFound(w, r)
	}))
	defer bridge.Close()
	k := newKB(t)
	if out := k.must(0, "bridges", "list"); !strings.Contains(out, "No bridges") {
		t.Errorf("list: %s", out)
	}
	if code, _, errs := k.run("sources", "add", "instagram:someone"); code != 2 || !strings.Contains(errs, "bridges add") {
		t.Errorf("without bridges: exit %d %s", code, errs)
	}
	k.must(0, "bridges", "add", "http://127.0.0.1:1") // a dead bridge first
	k.must(0, "bridges", "add", bridge.URL)
	k.must(0, "sources", "add", "instagram:someone")
	var ref struct{ Sources []map[string]any }
	k.json(&ref, "refresh", "--json")
	s := ref.Sources[0]
	if s["ok"] != true || s["new"] != 1.0 || s["url_used"] != bridge.URL+"/instagram/user/someone" || s["url"] != "instagram:someone" {
		t.Errorf("bridge refresh: %v", s)
	}
	if out := k.must(0, "bridges", "list"); !strings.Contains(out, bridge.URL) {
		t.Errorf("list: %s", out)
	}
	k.must(0, "bridges", "remove", bridge.URL)
	if code, _, _ := k.run("bridges", "remove", bridge.URL); code != 2 {
		t.Errorf("removing a missing bridge: exit %d", code)
	}
}

func TestFullTextAndOPMLMirrors(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed":
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Full</title>
				<item><guid>f1</guid><title>Short</title><link>%s/story</link><description>only a teaser</description></item></channel></rss>`, srv.URL)
		case "/story":
			w.Write([]byte(`<html><body><article><h1>Story</h1>` + strings.Repeat("<p>The complete report on the strike at the refinery, with every witness quoted at length and every number checked twice by the desk.</p>", 6) + `</article></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	k := newKB(t)
	k.must(0, "sources", "add", srv.URL+"/feed", "--full-text", "--mirror", "https://mirror.example/feed")
	k.must(0, "refresh")
	var arts struct{ Articles []map[string]any }
	k.json(&arts, "articles", "--search", "refinery", "--json")
	if len(arts.Articles) != 1 {
		t.Fatalf("full text not searchable: %v", arts)
	}
	if show := k.must(0, "show", jsonID(arts.Articles[0]["id"])); !strings.Contains(show, "every witness quoted") {
		t.Errorf("show: %s", show)
	}

	path := filepath.Join(t.TempDir(), "out.opml")
	k.must(0, "opml", "export", path)
	k2 := newKB(t)
	k2.must(0, "opml", "import", path)
	var list struct{ Sources []map[string]any }
	k2.json(&list, "sources", "list", "--json")
	b, _ := json.Marshal(list.Sources[0]["mirrors"])
	if string(b) != `["https://mirror.example/feed"]` {
		t.Errorf("mirrors after OPML round trip: %s", b)
	}
}
