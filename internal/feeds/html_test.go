package feeds

import (
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
)

// The images the parser lists are those Images reads from the HTML it
// stored: the images' pass takes the list instead of the HTML, and must
// fetch the same images either way.
func TestParsedImagesAreTheStoredHTMLs(t *testing.T) {
	base, _ := url.Parse("https://news.example/2026/story")
	cases := []struct {
		name, html string
		base       *url.URL
		want       []string
	}{
		{"relative made absolute", `<p><img src="/a.png"><img src="b.jpg"></p>`, base,
			[]string{"https://news.example/a.png", "https://news.example/2026/b.jpg"}},
		{"once each", `<img src="https://x.example/a.png"><a href="/l"><img src="https://x.example/a.png"></a>`, base,
			[]string{"https://x.example/a.png"}},
		{"entities in the source", `<img src="https://x.example/a.png?w=1&amp;h=2">`, base,
			[]string{"https://x.example/a.png?w=1&h=2"}},
		{"not a web address", `<img src="data:image/png;base64,AAAA"><img src="ftp://x.example/a.png">`, base, nil},
		{"no base: only absolute", `<IMG SRC="https://x.example/A.png" alt="a"><img src="rel.png"><img>`, nil,
			[]string{"https://x.example/A.png"}},
		{"no images", `<p>text <a href="/x">link</a></p>`, base, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := walkHTML(testParser().policy.Sanitize(c.html), c.base)
			if !reflect.DeepEqual(w.images, c.want) {
				t.Errorf("listed %q, want %q", w.images, c.want)
			}
			if got := Images(w.html); !reflect.DeepEqual(w.images, got) {
				t.Errorf("listed %q, the stored HTML %s shows %q", w.images, w.html, got)
			}
		})
	}

	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	checked, withImages := 0, 0
	for _, f := range files {
		body, _ := os.ReadFile(f)
		var arts []cache.Article
		if feed, err := testParser().Parse(body, "https://feed.example/feed"); err == nil {
			arts = feed.Articles
		} else if strings.HasPrefix(filepath.Base(f), "tg-") {
			page, err := ParseChannelPage(body, "https://t.me/s/chan")
			if err != nil {
				continue
			}
			for _, post := range page.Posts {
				arts = append(arts, testParser().postArticle(post))
			}
		}
		for _, a := range arts {
			checked++
			if len(a.Images) > 0 {
				withImages++
			}
			if got := Images(a.HTML); !reflect.DeepEqual(a.Images, got) {
				t.Errorf("%s: listed %q, the stored HTML shows %q", f, a.Images, got)
			}
		}
	}
	if checked < 20 || withImages < 3 {
		t.Errorf("only %d articles in the fixtures were checked, %d with images", checked, withImages)
	}
}
