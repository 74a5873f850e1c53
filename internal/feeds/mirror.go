package feeds

import (
	"net/url"
	"strings"

	"github.com/kabootar/kabootar/internal/cache"
)

// People paste the address they found, so a mirror may be given as a host
// (https://mirror.example), a host with a path prefix
// (https://mirror.example/news/) or the whole address of the source on the
// mirror (https://mirror.example/s/NAME, https://mirror.example/feed.xml).
// Mirrors are stored as given; these functions say what each one fetches.

// MirrorURL is the address mirror serves src at: for a channel, its preview
// page there; for a feed, the mirror itself when it names a file, else the
// feed's own path under the mirror's host or prefix.
func MirrorURL(src cache.Source, mirror string) string {
	switch src.Kind {
	case cache.KindTelegram:
		if channel, ok := channelOf(src.URL); ok {
			return ChannelURL(channelMirrorBase(mirror, channel), channel, 0)
		}
	case cache.KindFeed:
		return feedMirrorURL(src.URL, mirror)
	}
	return mirror
}

// MirrorURLs is MirrorURL for each of src's mirrors.
func MirrorURLs(src cache.Source) []string {
	out := make([]string, 0, len(src.Mirrors))
	for _, m := range src.Mirrors {
		out = append(out, MirrorURL(src, m))
	}
	return out
}

// channelMirrorBase is the preview host (and path prefix) of a channel
// mirror given in any of the forms above: a trailing /s/NAME or /NAME of
// the channel itself is cut off, so it is not doubled.
func channelMirrorBase(mirror, channel string) string {
	u, err := url.Parse(strings.TrimSpace(mirror))
	if err != nil || u.Host == "" {
		return strings.TrimSuffix(mirror, "/")
	}
	p := strings.TrimSuffix(u.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 && strings.EqualFold(p[i+1:], channel) {
		p = strings.TrimSuffix(p[:i], "/s")
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = p, "", "", ""
	return strings.TrimSuffix(u.String(), "/")
}

// feedMirrorURL resolves a feed mirror: a host, or a prefix ending in /,
// gets the feed's own path and query; anything else is the feed's address
// on the mirror already.
func feedMirrorURL(feedURL, mirror string) string {
	m, err := url.Parse(strings.TrimSpace(mirror))
	if err != nil || m.Host == "" || (m.Path != "" && !strings.HasSuffix(m.Path, "/")) || m.RawQuery != "" {
		return mirror
	}
	f, err := url.Parse(feedURL)
	if err != nil {
		return mirror
	}
	m.Path = strings.TrimSuffix(m.Path, "/") + "/" + strings.TrimPrefix(f.Path, "/")
	m.RawPath = ""
	m.RawQuery = f.RawQuery
	return m.String()
}
