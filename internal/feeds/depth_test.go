package feeds

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckDepth(t *testing.T) {
	nest := func(n int) string {
		return `<?xml version="1.0"?><rss><channel>` + strings.Repeat("<x:e>", n) + strings.Repeat("</x:e>", n) + `</channel></rss>`
	}
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"a feed", `<?xml version="1.0"?><rss version="2.0"><channel><item><title>a</title></item></channel></rss>`, true},
		{"nested within the bound", nest(MaxDepth - 3), true},
		{"nested past the bound", nest(MaxDepth), false},
		{"siblings are not nesting", `<rss>` + strings.Repeat("<item><b/></item>", 10000) + `</rss>`, true},
		{"self-closing tags", `<rss>` + strings.Repeat("<x/>", 10000) + `</rss>`, true},
		{"'<' in CDATA and comments", `<rss><![CDATA[` + strings.Repeat("<a>", 1000) + `]]><!--` + strings.Repeat("<b>", 1000) + `--></rss>`, true},
		{"'>' in an attribute", `<rss><a href="x>y/">` + strings.Repeat("<e a='>'>", 100) + `</rss>`, true},
		{"unclosed tags deep", `<rss>` + strings.Repeat("<p>", 100000), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDepth([]byte(tt.doc), MaxDepth)
			if (err == nil) != tt.ok {
				t.Fatalf("checkDepth: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (!errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "nested")) {
				t.Errorf("error %v should say it is nested too deeply", err)
			}
		})
	}
}

// A deeply nested feed is refused before gofeed sees it (which would take
// memory per level).
func TestParseRefusesDeepNesting(t *testing.T) {
	doc := `<?xml version="1.0"?><rss version="2.0" xmlns:x="urn:x"><channel><item><title>t</title>` +
		strings.Repeat("<x:e>", 100000) + strings.Repeat("</x:e>", 100000) + `</item></channel></rss>`
	_, err := testParser().Parse([]byte(doc), "https://news.example/feed")
	if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("err = %v, want a refusal for nesting", err)
	}
}

func TestCheckJSONDepth(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"a feed", `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>[x]{y}</p>"}]}`, true},
		{"brackets in strings", `{"title":"` + strings.Repeat("[", 5000) + `\"[{"}`, true},
		{"nested past the bound", `{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkJSONDepth([]byte(tt.doc), MaxDepth); (err == nil) != tt.ok {
				t.Errorf("checkJSONDepth: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	_, err := testParser().Parse([]byte(`{"version":"https://jsonfeed.org/version/1","items":`+strings.Repeat("[", 20000)+`]}`), "https://x/feed.json")
	if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "nested") {
		t.Errorf("a deeply nested JSON feed: %v", err)
	}
}
