package cache

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"net/url"
	"strings"

	// The formats a stored image may be in, for CheckImage.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/webp"
)

// What the cache stores comes from the network or from a file someone
// sent: these are the rules every stored text, address and image obeys,
// whichever way it came in.

// CleanText drops control characters, except tab and newline, from text
// to be stored: terminal escapes in a title would reach `articles` and
// `show` and act on the reader's terminal.
func CleanText(s string) string {
	if !hasControl(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

// hasControl is a byte scan for what isControl finds, without decoding:
// it runs over every stored article.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n', c == 0x7f:
			return true
		case c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] < 0xa0: // U+0080 to U+009F
			return true
		}
	}
	return false
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0)
}

// WebURL is u when it is an absolute http or https address, else "": the
// only addresses stored as an article's or a site's and handed to a
// browser ("Open original"). javascript:, data:, vbscript:, file: and smb:
// (with which Windows sends the user's credentials to the host) are not
// web pages.
func WebURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// cleanArticle applies the rules to an article about to be stored.
func cleanArticle(a *Article) {
	a.GUID, a.Title, a.Author = CleanText(a.GUID), CleanText(a.Title), CleanText(a.Author)
	a.HTML, a.Text = CleanText(a.HTML), CleanText(a.Text)
	a.URL = WebURL(a.URL)
}

// MaxImagePixels bounds an image's size in pixels (and MaxImageSide each
// side): decoding one takes 4 bytes a pixel, and a small file can claim
// 30,000 x 30,000 (3.6 GB decoded). A camera's photo is 12 to 24 million.
const (
	MaxImagePixels = 40_000_000
	MaxImageSide   = 16384
)

// ErrImageTooLarge is an image with more pixels than MaxImagePixels.
var ErrImageTooLarge = errors.New("the image has too many pixels")

// CheckImage refuses an image whose header claims more pixels than the
// bounds, without decoding it. Formats it cannot read (SVG among them) are
// not refused here.
func CheckImage(data []byte) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return fmt.Errorf("%w: %d x %d", ErrImageTooLarge, cfg.Width, cfg.Height)
	}
	return nil
}
