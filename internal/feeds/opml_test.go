package feeds

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
)

func TestOPMLRoundTrip(t *testing.T) {
	srcs, err := ReadOPML(bytes.NewReader(readFixture(t, "subscriptions.opml")))
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 3 || srcs[0].Name != "خبرگزاری" || srcs[1].URL != "https://atom.example/atom.xml" || srcs[2].URL != "https://top.example/rss" {
		t.Fatalf("read %+v", srcs)
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, srcs, time.Now()); err != nil {
		t.Fatal(err)
	}
	again, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		if again[i].URL != srcs[i].URL || again[i].Name != srcs[i].Name {
			t.Errorf("round trip changed %+v into %+v", srcs[i], again[i])
		}
	}
}

func TestOPMLRefusesBadFiles(t *testing.T) {
	tests := map[string][]byte{
		"truncated":   readFixture(t, "broken.opml"),
		"not xml":     []byte("hello"),
		"no feeds":    []byte(`<opml version="2.0"><head/><body><outline text="x"/></body></opml>`),
		"bad address": []byte(`<opml version="2.0"><body><outline text="x" xmlUrl="ftp://x.example/"/></body></opml>`),
		"too large":   append([]byte(`<opml><body>`), bytes.Repeat([]byte(" "), MaxOPMLBytes+1)...),
		"html":        readFixture(t, "page-nofeed.html"),
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			srcs, err := ReadOPML(bytes.NewReader(body))
			if !errors.Is(err, ErrBadOPML) || srcs != nil {
				t.Fatalf("got %v, %v; want ErrBadOPML and nothing", srcs, err)
			}
		})
	}
}

func TestWriteOPMLKinds(t *testing.T) {
	var buf bytes.Buffer
	WriteOPML(&buf, []cache.Source{{Kind: cache.KindFeed, URL: "https://a/feed"}}, time.Now())
	if !strings.Contains(buf.String(), `xmlUrl="https://a/feed"`) || !strings.Contains(buf.String(), `text="https://a/feed"`) {
		t.Error(buf.String())
	}
}

func TestOPMLCarriesMirrorsAndKinds(t *testing.T) {
	srcs := []cache.Source{
		{Kind: cache.KindFeed, URL: "https://news.example/feed", Name: "News", Mirrors: []string{"https://mirror.example/feed", "https://cdn.example/news/feed"}},
		{Kind: cache.KindTelegram, URL: "https://t.me/s/azadinews", Name: "آزادی", Mirrors: []string{"https://tg.example"}},
		{Kind: cache.KindBridge, URL: "instagram:someone", Name: "someone"},
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, srcs, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `kabootar:mirrors="https://mirror.example/feed https://cdn.example/news/feed"`) {
		t.Errorf("no kabootar:mirrors attribute:\n%s", buf.String())
	}
	got, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		if got[i].Kind != srcs[i].Kind || got[i].URL != srcs[i].URL || strings.Join(got[i].Mirrors, " ") != strings.Join(srcs[i].Mirrors, " ") {
			t.Errorf("round trip: %+v, want %+v", got[i], srcs[i])
		}
	}
}

// An OPML file saved on Windows (CRLF line endings, a byte-order mark, as
// Notepad writes it) reads as the same sources.
func TestOPMLFromWindows(t *testing.T) {
	unix := readFixture(t, "subscriptions.opml")
	windows := append([]byte("\ufeff"), bytes.ReplaceAll(unix, []byte("\n"), []byte("\r\n"))...)
	want, err := ReadOPML(bytes.NewReader(unix))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadOPML(bytes.NewReader(windows))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d sources, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].URL != want[i].URL || got[i].Name != want[i].Name {
			t.Errorf("%d: %q %q, want %q %q", i, got[i].Name, got[i].URL, want[i].Name, want[i].URL)
		}
	}
}
