package feeds

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var fixedNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func testParser() *Parser {
	p := NewParser()
	p.Now = func() time.Time { return fixedNow }
	return p
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		file, url         string
		title, firstTitle string
		items             int
	}{
		{"rss2-fa.xml", "https://news.example/feed", "خبرگزاری نمونه", "اعتراض\u200cها در تهران ادامه دارد", 3},
		{"atom.xml", "https://atom.example/atom.xml", "Example Atom", "Atom entry", 1},
		{"feed.json", "https://json.example/feed.json", "JSON Feed", "JSON item", 1},
		{"rss1.rdf", "https://rdf.example/rss", "RDF site", "RDF item", 1},
		{"rss091.xml", "https://old.example/rss", "Old RSS", "Old item", 1},
		{"rss-cp1256.xml", "https://cp.example/rss", "خبر", "سلام گرم", 1},
		{"rss-invalid-utf8.xml", "https://bad.example/rss", "Bad bytes", "caf\uFFFD \uFFFD ok", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := testParser().Parse(readFixture(t, tt.file), tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if f.Title != tt.title || len(f.Articles) != tt.items || f.Articles[0].Title != tt.firstTitle {
				t.Fatalf("got %q, %d items, first %q", f.Title, len(f.Articles), f.Articles[0].Title)
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	f, err := testParser().Parse(readFixture(t, "rss2-fa.xml"), "https://news.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	a := f.Articles[0]
	if a.URL != "https://news.example/fa/news/1" || a.GUID != "news-1" {
		t.Errorf("link %q guid %q", a.URL, a.GUID)
	}
	if a.Author != "مریم احمدی" || a.Dir != "rtl" {
		t.Errorf("author %q dir %q", a.Author, a.Dir)
	}
	if want := time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC); !a.Published.Equal(want) || a.Published.Location() != time.UTC {
		t.Errorf("published %v, want %v", a.Published, want)
	}
	for _, bad := range []string{"<script", "alert", "onclick", "onerror", "<iframe", "javascript:", "style="} {
		if strings.Contains(a.HTML, bad) {
			t.Errorf("sanitised HTML still has %q: %s", bad, a.HTML)
		}
	}
	for _, good := range []string{`href="https://news.example/fa/more"`, `src="https://news.example/fa/news/img/photo.jpg"`, `dir="rtl"`} {
		if !strings.Contains(a.HTML, good) {
			t.Errorf("sanitised HTML lacks %q: %s", good, a.HTML)
		}
	}
	if a.Text != "متن کامل خبر.\nبد\nپایان" {
		t.Errorf("text %q", a.Text)
	}

	future := f.Articles[1]
	if !future.Published.Equal(fixedNow) || future.Dir != "ltr" || future.Text != "A story from the future & its text." {
		t.Errorf("future item: %v %q %q", future.Published, future.Dir, future.Text)
	}
	undated := f.Articles[2]
	if !undated.Published.IsZero() || !strings.HasPrefix(undated.Title, "خبری بدون عنوان") || undated.Dir != "rtl" {
		t.Errorf("undated item: %v %q", undated.Published, undated.Title)
	}

	atom, _ := testParser().Parse(readFixture(t, "atom.xml"), "https://atom.example/atom.xml")
	if strings.Contains(atom.Articles[0].HTML, "data:") || atom.Articles[0].Author != "Desk" {
		t.Errorf("atom: %q by %q", atom.Articles[0].HTML, atom.Articles[0].Author)
	}
}

func TestParseRefusesWhatIsNotAFeed(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"blank", []byte("  \n "), "empty"},
		{"web page", readFixture(t, "page-nofeed.html"), "web page"},
		{"block page", readFixture(t, "blockpage.html"), "web page"},
		{"truncated", readFixture(t, "rss-truncated.xml"), "broken or cut short"},
		{"binary", []byte{0x89, 'P', 'N', 'G', 0, 1, 2, 3}, "neither"},
		{"plain text", []byte("hello"), "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testParser().Parse(tt.body, "https://x.example/feed")
			if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrNotFeed saying %q", err, tt.want)
			}
		})
	}
}

func TestDirection(t *testing.T) {
	tests := []struct{ in, want string }{
		{"سلام", "rtl"}, {"שלום", "rtl"}, {"Hello", "ltr"}, {"123 سلام", "rtl"}, {"«Hello» سلام", "ltr"}, {"", "ltr"}, {"2026", "ltr"},
	}
	for _, tt := range tests {
		if got := direction(tt.in); got != tt.want {
			t.Errorf("direction(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss2-fa.xml", "atom.xml", "feed.json", "rss-truncated.xml"} {
		f.Add(readFixture(f, name))
	}
	p := NewParser()
	f.Fuzz(func(t *testing.T, body []byte) {
		feed, err := p.Parse(body, "https://fuzz.example/feed")
		if err == nil && feed == nil {
			t.Fatal("nil feed without error")
		}
	})
}

func TestPlainTextStaysValidUTF8(t *testing.T) {
	got := PlainText("<p>a\xffb</p><p>c\u00a0d</p>")
	if got != "a\uFFFDb\nc d" {
		t.Errorf("%q", got)
	}
}

func TestParseHTTPCharset(t *testing.T) {
	// windows-1256 bytes, no XML declaration: only the HTTP header says so.
	body := bytes.Replace(readFixture(t, "rss-cp1256.xml"), []byte(`<?xml version="1.0" encoding="windows-1256"?>`), nil, 1)
	f, err := testParser().ParseHTTP(body, "https://cp.example/rss", "application/rss+xml; charset=windows-1256")
	if err != nil || f.Title != "خبر" || f.Articles[0].Title != "سلام گرم" {
		t.Fatalf("%v %+v", err, f)
	}
	// Without the header the bytes are not UTF-8: repaired, not failed.
	if _, err := testParser().ParseHTTP(body, "https://cp.example/rss", ""); err != nil {
		t.Errorf("without a charset: %v", err)
	}
}

// Addresses that are not web pages never become an article's link, a
// site's, or the base relative references resolve against; and the text of
// scripts and styles is not a title.
func TestParseHostileLinks(t *testing.T) {
	f, err := testParser().Parse(readFixture(t, "hostile.xml"), "https://news.example/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if f.SiteURL != "" || f.Title != "Hostile Feed" {
		t.Errorf("feed: site %q, title %q", f.SiteURL, f.Title)
	}
	if len(f.Articles) != 4 {
		t.Fatalf("%d articles", len(f.Articles))
	}
	for _, a := range f.Articles {
		if a.URL != "" {
			t.Errorf("%s: article link %q, want none", a.GUID, a.URL)
		}
		for _, bad := range []string{"javascript:", "vbscript:", "data:", "smb:", "file:"} {
			if strings.Contains(strings.ToLower(a.HTML), bad) {
				t.Errorf("%s keeps %q: %s", a.GUID, bad, a.HTML)
			}
		}
		for _, bad := range []string{"alert(", "display:none"} {
			if strings.Contains(a.Title+a.Text, bad) {
				t.Errorf("%s keeps %q in its words: title %q, text %q", a.GUID, bad, a.Title, a.Text)
			}
		}
	}
	if got := f.Articles[0].Title; got != "Injected title" {
		t.Errorf("title %q, want the script's text dropped", got)
	}
	if got := f.Articles[1].Title; got != "Styled" {
		t.Errorf("title %q, want the style's text dropped", got)
	}
	for _, want := range []string{`href="https://news.example/x%0Aalert(1)"`, `src="https://news.example/pic.png"`} {
		if !strings.Contains(f.Articles[0].HTML, want) {
			t.Errorf("relative links resolve against the feed, not the script: want %s in %s", want, f.Articles[0].HTML)
		}
	}
	if !strings.Contains(f.Articles[1].HTML, `href="https://news.example/ok"`) {
		t.Errorf("the web link was lost: %s", f.Articles[1].HTML)
	}
}
