package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fixtures are shared with the feeds package, which they mostly test.
const fixtures = "../../internal/feeds/testdata"

// kb runs the command line in-process against one data directory.
type kb struct {
	t    *testing.T
	data string
	env  map[string]string
}

// newKB is a data directory of its own, with DNS-over-HTTPS and
// Kabootar's own Tor off: a test never contacts the public resolvers or
// Tor's bridges.
func newKB(t *testing.T) *kb {
	k := &kb{t: t, data: t.TempDir()}
	k.must(0, "transport", "set", "--doh", "off", "--tor", "off")
	return k
}

func (k *kb) run(args ...string) (code int, stdout, stderr string) {
	k.t.Helper()
	var out, errb bytes.Buffer
	env := func(key string) string {
		switch {
		case key == "KABOOTAR_DATA":
			return k.data
		case k.env[key] != "":
			return k.env[key]
		case key == "KABOOTAR_TELEGRAM":
			return "http://127.0.0.1:1" // never t.me from a test
		}
		return ""
	}
	code = run(context.Background(), args, &out, &errb, env)
	return code, out.String(), errb.String()
}

// must runs a command that must exit with want.
func (k *kb) must(want int, args ...string) string {
	k.t.Helper()
	code, out, errs := k.run(args...)
	if code != want {
		k.t.Fatalf("kabootar %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errs)
	}
	return out
}

func (k *kb) json(v any, args ...string) {
	k.t.Helper()
	out := k.must(0, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		k.t.Fatalf("kabootar %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newsServer serves two feeds with validators, and a blog page that
// announces one of them.
type newsServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
	body map[string][]byte
}

func newNewsServer(t *testing.T) *newsServer {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ns := &newsServer{hits: map[string]int{}, body: map[string][]byte{
		"/feed/":     read("rss2-fa.xml"),
		"/en/atom":   read("atom.xml"),
		"/fa/":       read("page-wordpress.html"),
		"/plain":     read("page-nofeed.html"),
		"/blockpage": read("blockpage.html"),
	}}
	ns.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ns.mu.Lock()
		ns.hits[r.URL.Path]++
		body, ok := ns.body[r.URL.Path]
		ns.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"%s-%d"`, r.URL.Path, len(body))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(body)
	}))
	t.Cleanup(ns.Close)
	return ns
}

func (ns *newsServer) set(path string, body []byte) {
	ns.mu.Lock()
	ns.body[path] = body
	ns.mu.Unlock()
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func hasKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q: has %v", what, k, mapKeys(m))
		}
	}
}

func TestFollowRefreshReadSearch(t *testing.T) {
	ns := newNewsServer(t)
	k := newKB(t)

	// A blog page finds its feed; a feed URL is taken as it is.
	out := k.must(0, "sources", "add", ns.URL+"/fa/")
	if !strings.Contains(out, "خبرگزاری نمونه") || !strings.Contains(out, ns.URL+"/feed/") {
		t.Errorf("add output: %s", out)
	}
	k.must(0, "sources", "add", ns.URL+"/en/atom", "--name", "English desk", "--mirror", ns.URL+"/en/mirror")
	if code, _, errs := k.run("sources", "add", ns.URL+"/en/atom"); code != 1 || !strings.Contains(errs, "already followed") {
		t.Errorf("duplicate add: %d %s", code, errs)
	}

	var list struct{ Sources []map[string]any }
	k.json(&list, "sources", "list", "--json")
	if len(list.Sources) != 2 {
		t.Fatalf("sources: %+v", list)
	}
	hasKeys(t, "source", list.Sources[0], "id", "kind", "url", "name", "mirrors", "last_ok", "last_verdict", "last_route", "unread")
	en := list.Sources[1]
	if en["kind"] != "feed" || en["name"] != "English desk" || !reflect.DeepEqual(en["mirrors"], []any{ns.URL + "/en/mirror"}) || en["last_ok"] != nil {
		t.Errorf("english source: %v", en)
	}

	var ref struct{ Sources []map[string]any }
	k.json(&ref, "refresh", "--json")
	if len(ref.Sources) != 2 {
		t.Fatalf("refresh: %+v", ref)
	}
	for _, s := range ref.Sources {
		hasKeys(t, "refresh entry", s, "id", "url", "ok", "route", "url_used", "new", "not_modified", "ms", "verdicts")
		if s["ok"] != true || s["route"] != "direct" || s["url_used"] != s["url"] || s["not_modified"] != false {
			t.Errorf("refresh entry: %v", s)
		}
	}
	if ref.Sources[0]["new"] != 3.0 || ref.Sources[1]["new"] != 1.0 {
		t.Errorf("new counts: %v, %v", ref.Sources[0]["new"], ref.Sources[1]["new"])
	}

	var arts struct{ Articles []map[string]any }
	k.json(&arts, "articles", "--json")
	if len(arts.Articles) != 4 {
		t.Fatalf("articles: %+v", arts)
	}
	for _, a := range arts.Articles {
		hasKeys(t, "article", a, "id", "source_id", "title", "url", "published", "dir", "read", "starred", "offline_complete")
	}

	search := func(q string, extra ...string) []map[string]any {
		var r struct{ Articles []map[string]any }
		k.json(&r, append([]string{"articles", "--search", q, "--json"}, extra...)...)
		return r.Articles
	}
	fa := search("تهران")
	if len(fa) != 1 || fa[0]["dir"] != "rtl" || fa[0]["read"] != false {
		t.Fatalf("Persian search: %v", fa)
	}
	if got := search("اعتراضها"); len(got) != 1 { // typed without the ZWNJ
		t.Errorf("search without ZWNJ found %d", len(got))
	}
	if got := search("كامل"); len(got) != 1 { // Arabic keyboard's kaf
		t.Errorf("search with Arabic kaf found %d", len(got))
	}
	if got := search("atom"); len(got) != 1 || got[0]["dir"] != "ltr" {
		t.Errorf("English search: %v", got)
	}
	if got := search("atom", "--source", "1"); len(got) != 0 {
		t.Errorf("search limited to source 1 found %v", got)
	}

	id := jsonID(fa[0]["id"])
	show := k.must(0, "show", id)
	for _, want := range []string{"اعتراض\u200cها در تهران ادامه دارد", "خبرگزاری نمونه", "مریم احمدی", "متن کامل خبر.", ns.URL + "/fa/news/1"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	// Again: every answer is a 304, nothing new, exit 0.
	k.json(&ref, "refresh", "--json")
	for _, s := range ref.Sources {
		if s["not_modified"] != true || s["new"] != 0.0 {
			t.Errorf("second refresh: %v", s)
		}
	}
	out = k.must(0, "refresh")
	if !strings.Contains(out, "unchanged") || !strings.Contains(out, "2 sources refreshed, 0 failed, 0 new articles.") {
		t.Errorf("refresh for people: %s", out)
	}

	var unread struct{ Articles []map[string]any }
	k.json(&unread, "articles", "--unread", "--limit", "2", "--json")
	if len(unread.Articles) != 2 {
		t.Errorf("--limit 2 gave %d", len(unread.Articles))
	}

	k.must(0, "sources", "remove", "2")
	k.json(&arts, "articles", "--json")
	if len(arts.Articles) != 3 {
		t.Errorf("after remove: %d articles", len(arts.Articles))
	}
}

func jsonID(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBadInputsLoseNothing(t *testing.T) {
	ns := newNewsServer(t)
	k := newKB(t)
	k.must(0, "sources", "add", ns.URL+"/feed/")
	k.must(0, "sources", "add", ns.URL+"/en/atom")
	k.must(0, "refresh")
	before := k.must(0, "articles", "--json")

	t.Run("source URL with a typo", func(t *testing.T) {
		for _, typo := range []string{"htp//news", "news example", "ftp://x.example/"} {
			if code, _, errs := k.run("sources", "add", typo); code != 2 || !strings.Contains(errs, "not a web address") {
				t.Errorf("%q: exit %d, %s", typo, code, errs)
			}
		}
	})
	t.Run("page with no feed", func(t *testing.T) {
		code, _, errs := k.run("sources", "add", ns.URL+"/plain")
		if code != 1 || !strings.Contains(errs, "announces no feed") || !strings.Contains(errs, "nothing added") {
			t.Errorf("exit %d, %s", code, errs)
		}
	})
	t.Run("unreachable address is added as typed", func(t *testing.T) {
		closed := httptest.NewServer(http.NotFoundHandler())
		addr := closed.URL
		closed.Close()
		code, out, errs := k.run("sources", "add", addr+"/feed")
		if code != 1 || !strings.Contains(out, "Added") || !strings.Contains(errs, "could not reach it now") {
			t.Errorf("exit %d\n%s\n%s", code, out, errs)
		}
		k.must(0, "sources", "remove", "3")
	})
	t.Run("source turns into a block page", func(t *testing.T) {
		ns.set("/feed/", []byte(`<html><head><title>MNN3-1(1)</title></head><body><iframe src="http://10.10.34.34"></iframe></body></html>`))
		code, out, _ := k.run("refresh")
		if code != 1 || !strings.Contains(out, "block page") || !strings.Contains(out, "1 sources refreshed, 1 failed") {
			t.Errorf("exit %d\n%s", code, out)
		}
		var list struct{ Sources []map[string]any }
		k.json(&list, "sources", "list", "--json")
		if list.Sources[0]["last_verdict"] != "http-blockpage" {
			t.Errorf("verdict: %v", list.Sources[0])
		}
	})
	t.Run("corrupt OPML", func(t *testing.T) {
		code, _, errs := k.run("opml", "import", filepath.Join(fixtures, "broken.opml"))
		if code != 1 || !strings.Contains(errs, "nothing was imported") {
			t.Errorf("exit %d, %s", code, errs)
		}
		if code, _, _ := k.run("opml", "import", filepath.Join(t.TempDir(), "missing.opml")); code != 2 {
			t.Errorf("missing file: exit %d", code)
		}
	})
	t.Run("unknown IDs", func(t *testing.T) {
		for _, args := range [][]string{{"show", "9999"}, {"show", "abc"}, {"sources", "remove", "9999"}, {"articles", "--source", "9999"}} {
			if code, _, _ := k.run(args...); code != 2 {
				t.Errorf("%v: exit %d", args, code)
			}
		}
	})
	if after := k.must(0, "articles", "--json"); after != before {
		t.Errorf("articles changed:\nbefore %s\nafter %s", before, after)
	}
}

func TestDataDirectoryProblems(t *testing.T) {
	t.Run("cache file is not a database", func(t *testing.T) {
		k := newKB(t)
		junk := []byte(strings.Repeat("not a database\n", 300))
		path := filepath.Join(k.data, "kabootar.db")
		os.WriteFile(path, junk, 0o600)
		for _, args := range [][]string{{"sources", "list"}, {"refresh"}, {"articles"}} {
			code, _, errs := k.run(args...)
			if code != 2 || !strings.Contains(errs, "not a Kabootar database") {
				t.Errorf("%v: exit %d, %s", args, code, errs)
			}
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, junk) {
			t.Error("the file was changed")
		}
	})
	t.Run("read-only data directory", func(t *testing.T) {
		k := &kb{t: t, data: t.TempDir()}
		if os.Geteuid() == 0 {
			k.data = "/proc/kabootar-test" // even root cannot create here
		} else {
			os.Chmod(k.data, 0o500)
			t.Cleanup(func() { os.Chmod(k.data, 0o700) })
		}
		code, _, errs := k.run("sources", "list")
		if code != 2 || !strings.Contains(errs, "--data") {
			t.Errorf("exit %d, %s", code, errs)
		}
	})
	t.Run("--data beats the environment", func(t *testing.T) {
		k := &kb{t: t, data: t.TempDir()}
		other := t.TempDir()
		k.must(0, "--data", other, "sources", "list")
		if _, err := os.Stat(filepath.Join(other, "kabootar.db")); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(k.data, "kabootar.db")); err == nil {
			t.Error("$KABOOTAR_DATA used despite --data")
		}
	})
}

func TestOPMLCommands(t *testing.T) {
	k := newKB(t)
	opml := filepath.Join(t.TempDir(), "in.opml")
	os.WriteFile(opml, []byte(`<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
		<outline text="A" xmlUrl="https://a.example/feed"/><outline text="B"><outline text="C" xmlUrl="https://c.example/rss"/></outline></body></opml>`), 0o600)
	if out := k.must(0, "opml", "import", opml); !strings.Contains(out, "Imported 2 sources") {
		t.Errorf("%s", out)
	}
	if out := k.must(0, "opml", "import", opml); !strings.Contains(out, "Imported 0 sources (2 already followed)") {
		t.Errorf("%s", out)
	}
	exported := filepath.Join(t.TempDir(), "out.opml")
	k.must(0, "opml", "export", exported)
	k2 := newKB(t)
	if out := k2.must(0, "opml", "import", exported); !strings.Contains(out, "Imported 2 sources") {
		t.Errorf("re-import: %s", out)
	}
}

func TestUsage(t *testing.T) {
	k := newKB(t)
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--version"}, 0, "kabootar "},
		{[]string{"--help"}, 0, "Usage:"},
		{[]string{"frobnicate"}, 2, ""},
		{[]string{"sources"}, 2, ""},
		{[]string{"sources", "add"}, 2, ""},
		{[]string{"sources", "add", "@ab"}, 2, ""},
		{[]string{"sources", "add", "instagram:bad name"}, 2, ""},
		{[]string{"sources", "add", "instagram:someone"}, 2, ""}, // no bridge configured
		{[]string{"articles", "--limit", "0"}, 2, ""},
		{[]string{"articles", "--bogus"}, 2, ""},
		{[]string{"opml", "import"}, 2, ""},
		{[]string{"refresh"}, 0, "No sources yet"},
	}
	for _, tt := range tests {
		code, out, _ := k.run(tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) {
			t.Errorf("%v: exit %d, want %d; out %q", tt.args, code, tt.code, out)
		}
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// --starter adds the shipped list of a language without the network (the
// test's client reaches nothing) and is idempotent.
func TestSourcesAddStarter(t *testing.T) {
	k := newKB(t)
	out := k.must(0, "sources", "add", "--starter", "fa")
	if !strings.Contains(out, "Added ") {
		t.Fatalf("out = %q", out)
	}
	var list struct {
		Sources []sourceJSON `json:"sources"`
	}
	k.json(&list, "sources", "list", "--json")
	kinds := map[string]int{}
	for _, s := range list.Sources {
		kinds[s.Kind]++
		if s.Name == "" {
			t.Errorf("source %s has no name", s.URL)
		}
	}
	if kinds["feed"] == 0 || kinds["telegram"] == 0 || len(list.Sources) == 0 {
		t.Fatalf("kinds = %v", kinds)
	}
	n := len(list.Sources)
	if out := k.must(0, "sources", "add", "--starter", "fa"); !strings.Contains(out, "Added 0 ") || !strings.Contains(out, "already followed") {
		t.Errorf("again: %q", out)
	}
	k.must(0, "sources", "add", "--starter", "en")
	k.json(&list, "sources", "list", "--json")
	if len(list.Sources) <= n {
		t.Errorf("en added nothing: %d sources", len(list.Sources))
	}
	for _, args := range [][]string{
		{"sources", "add", "--starter", "de"},
		{"sources", "add", "--starter", "fa", "https://example.org/feed"},
		{"sources", "add", "--starter", "fa", "--name", "x"},
	} {
		if code, _, _ := k.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
