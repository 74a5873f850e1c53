package feeds

import (
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
)

func TestMirrorURL(t *testing.T) {
	channel := cache.Source{Kind: cache.KindTelegram, URL: "https://t.me/s/NewsChan"}
	feed := cache.Source{Kind: cache.KindFeed, URL: "https://news.example/rss/all.xml?lang=fa"}
	tests := []struct {
		name   string
		src    cache.Source
		mirror string
		want   string
	}{
		{"channel: host", channel, "https://mirror.example", "https://mirror.example/s/NewsChan"},
		{"channel: host and slash", channel, "https://mirror.example/", "https://mirror.example/s/NewsChan"},
		{"channel: path prefix", channel, "https://mirror.example/tg", "https://mirror.example/tg/s/NewsChan"},
		{"channel: full preview address", channel, "https://mirror.example/s/NewsChan", "https://mirror.example/s/NewsChan"},
		{"channel: full address, other case", channel, "https://mirror.example/s/newschan/", "https://mirror.example/s/NewsChan"},
		{"channel: prefix and full address", channel, "https://mirror.example/tg/s/NewsChan", "https://mirror.example/tg/s/NewsChan"},
		{"channel: t.me form", channel, "https://mirror.example/NewsChan", "https://mirror.example/s/NewsChan"},
		{"channel: another channel's name is a prefix", channel, "https://mirror.example/OtherChan", "https://mirror.example/OtherChan/s/NewsChan"},
		{"feed: full address", feed, "https://mirror.example/news/all.xml", "https://mirror.example/news/all.xml"},
		{"feed: host", feed, "https://mirror.example", "https://mirror.example/rss/all.xml?lang=fa"},
		{"feed: prefix", feed, "https://mirror.example/news.example/", "https://mirror.example/news.example/rss/all.xml?lang=fa"},
		{"feed: address with a query", feed, "https://mirror.example/?u=1", "https://mirror.example/?u=1"},
		{"bridge: as given", cache.Source{Kind: cache.KindBridge, URL: "x:someone"}, "https://nitter.example/someone/rss", "https://nitter.example/someone/rss"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MirrorURL(tt.src, tt.mirror); got != tt.want {
				t.Errorf("MirrorURL(%q) = %q, want %q", tt.mirror, got, tt.want)
			}
		})
	}
}
