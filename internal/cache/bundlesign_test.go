package cache

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/keys"
)

func identity(t *testing.T) *keys.Identity {
	t.Helper()
	id, err := keys.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// signedFixture is a store with a feed of two articles, one with an
// image, and a signed bundle of it.
func signedFixture(t *testing.T, signer Signer) (*Store, []byte) {
	t.Helper()
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://news.example/feed")
	day := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s.SaveFetch(ctx, id, &Fetched{Articles: []Article{
		{GUID: "n1", Title: "Shutdown", HTML: `<p>Lines cut.</p>`, Text: "Lines cut.", Published: day, HasImages: true},
		{GUID: "n2", Title: "Strike", HTML: "<p>Bazaar closed.</p>", Text: "Bazaar closed.", Published: day.Add(time.Hour)},
	}})
	arts, _ := s.Articles(ctx, Query{Search: "shutdown"})
	if err := s.PutMedia(ctx, arts[0].ID, Media{URL: "https://news.example/a.png", MIME: "image/png", Data: pngBytes(t)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := s.ExportBundle(ctx, &buf, BundleOptions{Signer: signer})
	if err != nil || st.Articles != 2 || st.Media != 1 {
		t.Fatalf("export %+v, %v", st, err)
	}
	return s, buf.Bytes()
}

// zipParts reads a zip's entries in order.
func zipParts(t *testing.T, b []byte) (names []string, data map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	data = map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		d, _ := io.ReadAll(rc)
		rc.Close()
		names = append(names, f.Name)
		data[f.Name] = d
	}
	return names, data
}

// rezip writes the entries again, with valid checksums: a forger's copy,
// not a damaged one.
func rezip(t *testing.T, names []string, data map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data[n])
	}
	zw.Close()
	return buf.Bytes()
}

func TestSignedBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	signer := identity(t)
	_, b := signedFixture(t, signer)
	to := openTest(t)
	var seen BundleInfo
	rules := rulesTest
	rules.Accept = func(i BundleInfo) error { seen = i; return nil }
	st, err := to.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rules)
	if err != nil || st.Articles != 2 || st.Media != 1 {
		t.Fatalf("import %+v, %v", st, err)
	}
	if !seen.Signer.Equal(signer.Public()) || !st.Signer.Equal(signer.Public()) {
		t.Errorf("signer %v, want %v", seen.Signer, signer.Public())
	}
	if seen.Articles != 2 || seen.Media != 1 || len(seen.Sources) != 1 || seen.ID == "" || !seen.ReadAt.IsZero() {
		t.Errorf("bundle info %+v", seen)
	}
	arts, _ := to.Articles(ctx, Query{})
	p, err := to.ArticleProvenance(ctx, arts[0].ID)
	if err != nil || !p.Bundle || !p.Signer.Equal(signer.Public()) || p.Name != "" {
		t.Errorf("provenance %+v, %v", p, err)
	}
	to.Trust(ctx, signer.Public(), "Sara")
	if p, _ := to.ArticleProvenance(ctx, arts[0].ID); p.Name != "Sara" {
		t.Errorf("provenance name %q, want Sara", p.Name)
	}

	// The same bundle again: the reader is told when it was read.
	st, err = to.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rules)
	if err != nil || st.Articles != 0 || seen.ReadAt.IsZero() {
		t.Errorf("replay: %+v, %v, read at %v", st, err, seen.ReadAt)
	}
}

// A refusal by the reader writes nothing.
func TestBundleAcceptRefuses(t *testing.T) {
	ctx := context.Background()
	_, b := signedFixture(t, identity(t))
	to := openTest(t)
	no := errors.New("not from a key I know")
	rules := rulesTest
	rules.Accept = func(BundleInfo) error { return no }
	if _, err := to.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rules); !errors.Is(err, no) {
		t.Fatalf("err = %v", err)
	}
	if srcs, arts := counts(t, to); srcs != 0 || arts != 0 {
		t.Errorf("a refused bundle wrote %d sources, %d articles", srcs, arts)
	}
}

// Every change to a signed bundle refuses it whole, and nothing changes.
func TestSignedBundleTampered(t *testing.T) {
	signer, other := identity(t), identity(t)
	_, b := signedFixture(t, signer)
	names, data := zipParts(t, b)
	var media string
	for _, n := range names {
		if strings.HasPrefix(n, "media/") {
			media = n
		}
	}
	change := func(f func(d map[string][]byte) []string) []byte {
		d := map[string][]byte{}
		for k, v := range data {
			d[k] = append([]byte(nil), v...)
		}
		ns := append([]string(nil), names...)
		if more := f(d); more != nil {
			ns = more
		}
		return rezip(t, ns, d)
	}
	flip := func(d []byte, at int) { d[at] ^= 1 }
	var man bundleManifest
	json.Unmarshal(data["manifest.json"], &man)
	resigned := func(m bundleManifest, by *keys.Identity) func(d map[string][]byte) []string {
		return func(d map[string][]byte) []string {
			mb, _ := json.Marshal(m)
			d["manifest.json"] = mb
			d["manifest.sig"] = []byte(base64.StdEncoding.EncodeToString(by.Sign(mb)))
			return nil
		}
	}
	lying := man
	lying.Parts = append([]bundlePart(nil), man.Parts...)
	lying.Parts[0].Size += 10
	tests := []struct {
		name string
		data []byte
	}{
		{"an article's byte", change(func(d map[string][]byte) []string { flip(d["articles.jsonl"], 40); return nil })},
		{"an article added", change(func(d map[string][]byte) []string {
			d["articles.jsonl"] = append(d["articles.jsonl"], []byte(`{"source":1,"guid":"x","title":"Forged","html":"<p>lie</p>","published":1}`+"\n")...)
			return nil
		})},
		{"the image", change(func(d map[string][]byte) []string { flip(d[media], len(d[media])-1); return nil })},
		{"media.json", change(func(d map[string][]byte) []string { flip(d["media.json"], 12); return nil })},
		{"the manifest", change(func(d map[string][]byte) []string {
			d["manifest.json"] = bytes.Replace(d["manifest.json"], []byte("https://news.example/feed"), []byte("https://evil.example/feed"), 1)
			return nil
		})},
		{"the signature", change(func(d map[string][]byte) []string { flip(d["manifest.sig"], 3); return nil })},
		{"no signature", change(func(d map[string][]byte) []string {
			delete(d, "manifest.sig")
			var ns []string
			for _, n := range names {
				if n != "manifest.sig" {
					ns = append(ns, n)
				}
			}
			return ns
		})},
		{"signed by another key than claimed", change(resigned(man, other))},
		{"a part not listed", change(func(d map[string][]byte) []string {
			d["run.sh"] = []byte("#!/bin/sh")
			return append(append([]string(nil), names...), "run.sh")
		})},
		{"a manifest that lies about sizes", change(resigned(lying, signer))},
	}
	// A byte flipped in the file as it is (a damaged copy): also refused.
	raw := append([]byte(nil), b...)
	raw[len(raw)/3] ^= 0x40
	tests = append(tests, struct {
		name string
		data []byte
	}{"a byte of the file", raw}, struct {
		name string
		data []byte
	}{"cut short", b[:len(b)*2/3]})
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := openTest(t)
			id := addFeed(t, to, "https://kept.example/feed")
			to.SaveFetch(ctx, id, &Fetched{Articles: []Article{{GUID: "k", Title: "kept", Published: time.Now()}}})
			accepted := false
			rules := rulesTest
			rules.Accept = func(BundleInfo) error { accepted = true; return nil }
			_, err := to.ImportBundle(ctx, bytes.NewReader(tt.data), int64(len(tt.data)), rules)
			if !errors.Is(err, ErrBadBundle) {
				t.Errorf("err = %v, want a refusal", err)
			}
			if accepted {
				t.Error("the reader was asked about a bundle that does not verify")
			}
			if srcs, arts := counts(t, to); srcs != 1 || arts != 1 {
				t.Errorf("the cache changed: %d sources, %d articles", srcs, arts)
			}
		})
	}
	// The untouched copy still imports.
	to := openTest(t)
	if _, err := to.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest); err != nil {
		t.Fatal(err)
	}
}

// A bundle of the first format (no parts, no signature) still imports,
// marked unsigned.
func TestOldBundleImportsUnsigned(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	b := makeBundle(t, bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 1, Kind: KindFeed, URL: "https://a.example/feed", Name: "A"}}},
		`{"source":1,"guid":"g","title":"T","html":"<p>x</p>","published":1}`, nil)
	var seen BundleInfo
	rules := rulesTest
	rules.Accept = func(i BundleInfo) error { seen = i; return nil }
	if st, err := s.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rules); err != nil || st.Articles != 1 || st.Signer != nil {
		t.Fatalf("%+v %v", st, err)
	}
	if seen.Signer != nil {
		t.Error("an unsigned bundle has a signer")
	}
	arts, _ := s.Articles(ctx, Query{})
	if p, _ := s.ArticleProvenance(ctx, arts[0].ID); !p.Bundle || p.Signer != nil {
		t.Errorf("provenance %+v, want an unsigned bundle", p)
	}
}

// An incremental export holds what was stored since the last one, only of
// the sources it holds articles of; OwnOnly leaves out what came in
// bundles.
func TestIncrementalExport(t *testing.T) {
	ctx := context.Background()
	signer := identity(t)
	s, _ := signedFixture(t, signer)
	var buf bytes.Buffer
	first, err := s.ExportBundle(ctx, &buf, BundleOptions{OwnOnly: true})
	if err != nil || first.Articles != 2 {
		t.Fatalf("%+v %v", first, err)
	}
	buf.Reset()
	none, err := s.ExportBundle(ctx, &buf, BundleOptions{AfterID: first.LastID, OwnOnly: true})
	if err != nil || none.Articles != 0 || none.Sources != 0 {
		t.Errorf("nothing new: %+v %v", none, err)
	}
	other := addFeed(t, s, "https://other.example/feed")
	s.SaveFetch(ctx, other, &Fetched{Articles: []Article{{GUID: "o1", Title: "New", HTML: "<p>n</p>", Published: time.Now()}}})
	// And one that came in someone's bundle.
	b := makeBundle(t, bundleManifest{Format: bundleFormat, Version: 1, Sources: []bundleSource{{Key: 1, Kind: KindFeed, URL: "https://third.example/feed", Name: "Third"}}},
		`{"source":1,"guid":"t","title":"Theirs","html":"<p>t</p>","published":1}`, nil)
	if _, err := s.ImportBundle(ctx, bytes.NewReader(b), int64(len(b)), rulesTest); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	next, err := s.ExportBundle(ctx, &buf, BundleOptions{AfterID: none.LastID, OwnOnly: true, Signer: signer})
	if err != nil || next.Articles != 1 || next.Sources != 1 || next.LastID <= none.LastID {
		t.Fatalf("incremental %+v %v", next, err)
	}
	// Imported elsewhere: the one new article, of the one source it holds.
	to := openTest(t)
	st, err := to.ImportBundle(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), rulesTest)
	if err != nil || st.Articles != 1 || st.SourcesSeen != 1 {
		t.Errorf("import of the increment %+v %v", st, err)
	}
	all, err := s.ExportBundle(ctx, io.Discard, BundleOptions{})
	if err != nil || all.Articles != 4 || all.Sources != 3 {
		t.Errorf("a full export %+v %v", all, err)
	}
}
