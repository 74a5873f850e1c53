package main

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// News carried from a reader whose network works to one whose does not:
// export, import into another data directory, read there.
func TestBundleCommands(t *testing.T) {
	ns := newNewsServer(t)
	from := newKB(t)
	from.must(0, "sources", "add", ns.URL+"/feed/")
	from.must(0, "sources", "add", ns.URL+"/en/atom")
	from.must(0, "refresh")
	var arts struct {
		Articles []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"articles"`
	}
	from.json(&arts, "articles", "--json", "--limit", "1000")
	if len(arts.Articles) == 0 {
		t.Fatal("nothing to export")
	}
	file := filepath.Join(t.TempDir(), "news.zip")
	out := from.must(0, "bundle", "export", file)
	if !strings.Contains(out, "Exported ") {
		t.Errorf("export said %q", out)
	}

	// From a key not trusted: refused until the reader says so, and the
	// message names the fingerprint to compare.
	to := newKB(t)
	var key struct{ Key, Fingerprint string }
	from.json(&key, "keys", "show", "--json")
	if code, _, errOut := to.run("bundle", "import", file); code != 1 || !strings.Contains(errOut, key.Fingerprint) {
		t.Errorf("import from a key not trusted: exit %d, %q", code, errOut)
	}
	if got := to.must(0, "articles", "--json"); strings.Contains(got, `"id"`) {
		t.Error("a refused bundle left articles")
	}
	to.must(0, "keys", "trust", file, "--name", "Sara")
	out = to.must(0, "bundle", "import", file)
	if !strings.Contains(out, "2 new sources of 2") || !strings.Contains(out, "Signed by Sara ("+key.Fingerprint+")") {
		t.Errorf("import said %q", out)
	}
	var got struct {
		Articles []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"articles"`
	}
	to.json(&got, "articles", "--json", "--limit", "1000")
	if len(got.Articles) != len(arts.Articles) {
		t.Errorf("%d articles imported, %d exported", len(got.Articles), len(arts.Articles))
	}
	// Readable offline: show reads it from the cache alone.
	if out := to.must(0, "show", strconv.FormatInt(got.Articles[0].ID, 10)); !strings.Contains(out, got.Articles[0].Title) {
		t.Errorf("show: %q", out)
	}
	// Importing again adds nothing, and says it was read before.
	if out := to.must(0, "bundle", "import", file); !strings.Contains(out, "imported already") {
		t.Errorf("again: %q", out)
	}

	// One source only, and usage errors.
	one := filepath.Join(t.TempDir(), "one.zip")
	from.must(0, "bundle", "export", one, "--source", "1", "--days", "100000")
	for _, args := range [][]string{
		{"bundle"}, {"bundle", "export"}, {"bundle", "send", file},
		{"bundle", "export", one, "--source", "x"},
		{"bundle", "export", one, "--source", "99"},
		{"bundle", "export", one, "--days", "-1"},
		{"bundle", "import", file, "--days", "3"},
		{"bundle", "import", filepath.Join(t.TempDir(), "missing.zip")},
	} {
		if code, _, _ := from.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// A bundle is hostile input: its HTML is sanitised as a feed's is, and a
// broken file changes nothing.
func TestBundleImportHostile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, parts map[string]string) string {
		p := filepath.Join(dir, name)
		f, _ := os.Create(p)
		zw := zip.NewWriter(f)
		for n, body := range parts {
			w, _ := zw.Create(n)
			w.Write([]byte(body))
		}
		zw.Close()
		f.Close()
		return p
	}
	manifest := `{"format":"kabootar-bundle","version":1,"sources":[{"key":1,"kind":"feed","url":"https://news.example/feed","name":"News"}]}`
	evil := write("evil.zip", map[string]string{
		"manifest.json":  manifest,
		"articles.jsonl": `{"source":1,"guid":"e","title":"Evil","html":"<p onclick=\"steal()\">Hi<script>steal()</script><a href=\"javascript:steal()\">x</a></p>","published":1}`,
	})
	k := newKB(t)
	if code, _, errOut := k.run("bundle", "import", evil); code != 1 || !strings.Contains(errOut, "not signed") {
		t.Errorf("an unsigned bundle without --accept: exit %d, %q", code, errOut)
	}
	k.must(0, "bundle", "import", evil, "--accept")
	var arts struct {
		Articles []struct {
			ID int64 `json:"id"`
		} `json:"articles"`
	}
	k.json(&arts, "articles", "--json")
	if len(arts.Articles) != 1 {
		t.Fatalf("%d articles", len(arts.Articles))
	}
	_, st := k.open(t)
	a, err := st.Article(context.Background(), arts.Articles[0].ID)
	st.Close()
	if err != nil || !strings.Contains(a.HTML, "Hi") {
		t.Fatalf("%q, %v", a.HTML, err)
	}
	for _, bad := range []string{"script", "onclick", "javascript:"} {
		if strings.Contains(a.HTML, bad) {
			t.Errorf("%q survived the import: %s", bad, a.HTML)
		}
	}

	broken := write("broken.zip", map[string]string{"manifest.json": manifest, "articles.jsonl": `{"source":1,"title":"ok"}` + "\n{oops"})
	code, _, errs := k.run("bundle", "import", broken)
	if code != 1 || !strings.Contains(errs, "not a Kabootar bundle") || !strings.Contains(errs, "line 2") {
		t.Errorf("broken bundle: exit %d, %q", code, errs)
	}
	k.json(&arts, "articles", "--json")
	if len(arts.Articles) != 1 {
		t.Errorf("a broken bundle changed the cache: %d articles", len(arts.Articles))
	}
}
