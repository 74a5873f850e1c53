package feeds

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/transport"
)

func TestDiscover(t *testing.T) {
	got := Discover(readFixture(t, "page-wordpress.html"), "https://blog.example/2026/11/post/")
	want := []string{"https://blog.example/feed/", "https://blog.example/comments/feed/"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := Discover(readFixture(t, "page-nofeed.html"), "https://x.example/"); len(got) != 0 {
		t.Errorf("found %v in a page with none", got)
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"news.example/feed", "https://news.example/feed"},
		{" http://news.example/rss#top ", "http://news.example/rss"},
		{"http://127.0.0.1:8080/feed", "http://127.0.0.1:8080/feed"},
		{"http://localhost:8080/feed", "http://localhost:8080/feed"},
		{"newsexample", ""},
		{"ftp://news.example/", ""},
		{"htp//news.example", ""},
		{"news example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrBadAddress) {
				t.Errorf("NormalizeURL(%q) = %q, %v; want ErrBadAddress", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFind(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/blog/", serveBytes(readFixture(t, "page-wordpress.html")))
	fs.handle("/feed/", serveBytes(readFixture(t, "rss2-fa.xml")))
	fs.handle("/plain", serveBytes(readFixture(t, "page-nofeed.html")))
	fs.handle("/atom", serveBytes(readFixture(t, "atom.xml")))
	fs.handle("/png", serveBytes([]byte("\x89PNG\r\n")))
	client := transport.New(transport.Options{RequestTimeout: time.Second})
	p := NewParser()
	ctx := context.Background()

	f, err := p.Find(ctx, client, fs.URL+"/blog/")
	if err != nil || f.URL != fs.URL+"/feed/" || f.Title != "خبرگزاری نمونه" || f.Unreachable != nil {
		t.Fatalf("WordPress page: %+v, %v", f, err)
	}
	f, err = p.Find(ctx, client, fs.URL+"/atom")
	if err != nil || f.URL != fs.URL+"/atom" || f.Title != "Example Atom" {
		t.Fatalf("feed itself: %+v, %v", f, err)
	}
	if _, err := p.Find(ctx, client, fs.URL+"/plain"); !errors.Is(err, ErrNotFeed) {
		t.Errorf("page without feed: %v", err)
	}
	if _, err := p.Find(ctx, client, fs.URL+"/png"); !errors.Is(err, ErrNotFeed) {
		t.Errorf("binary: %v", err)
	}
	if _, err := p.Find(ctx, client, fs.URL+"/nothing-here"); err == nil {
		t.Error("404 accepted")
	}
	if _, err := p.Find(ctx, client, "htp//news"); !errors.Is(err, ErrBadAddress) {
		t.Errorf("typo: %v", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	f, err = p.Find(ctx, client, addr+"/feed")
	if err != nil || f.Unreachable == nil || f.URL != addr+"/feed" {
		t.Errorf("unreachable: %+v, %v", f, err)
	}
}
