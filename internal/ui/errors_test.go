package ui

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

func TestFriendlyErrors(t *testing.T) {
	test.NewTempApp(t)
	LoadTranslations()
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("nothing added: %w", feeds.ErrBadAddress), "not a web address"},
		{fmt.Errorf("x: %w", &feeds.ChannelError{Reason: "no posts"}), "Telegram does not show"},
		{fmt.Errorf("x: %w", &feeds.NotFeedError{Reason: "web page"}), "not a news feed"},
		{fmt.Errorf("x: %w", feeds.ErrBadOPML), "Nothing was imported"},
		{fmt.Errorf("https://x is %w", app.ErrAlreadyFollowed), "already follow"},
		{fmt.Errorf("%w (--mode proxy) needs a proxy", app.ErrStrict), "Proxy-only"},
		{fmt.Errorf("x: %w", &app.UnreachableError{Err: errors.New("connection reset")}), "could not be reached"},
		{fmt.Errorf("x: %w", cache.ErrDiskFull), "disk is full"},
		{fmt.Errorf("--proxy: %w: socks5://x:y", feeds.ErrBadProxy), "proxy address cannot be used"},
		{fmt.Errorf("--doh: %w", feeds.ErrBadDoH), "resolver cannot be used"},
		{fmt.Errorf("news.zip: %w: article line 2", cache.ErrBadBundle), "not saved news"},
		{errors.New("boom"), "did not work"},
	}
	for _, tt := range tests {
		if got := friendly(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("friendly(%v) = %q, want it to say %q", tt.err, got, tt.want)
		}
	}
}
