// Package ui is Kabootar's Fyne window: sources, articles and the reader,
// over the same cache and transport as the command line. It reads from the
// cache, is told of changes by the refresher, never waits on the network or
// the disk on the Fyne thread (work runs in goroutines and comes back with
// fyne.Do), and never loads a URL itself: images come from the cache.
package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kabootar/kabootar/assets"
)

// kabootarTheme is Fyne's theme with Vazirmatn, which carries Persian as
// well as Latin, so Persian reads well without a Persian system font.
type kabootarTheme struct {
	fyne.Theme
	regular, bold fyne.Resource
}

func newTheme() fyne.Theme {
	return &kabootarTheme{
		Theme:   theme.DefaultTheme(),
		regular: fyne.NewStaticResource("Vazirmatn-Regular.ttf", assets.FontRegular),
		bold:    fyne.NewStaticResource("Vazirmatn-Bold.ttf", assets.FontBold),
	}
}

func (t *kabootarTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	if s.Bold {
		return t.bold
	}
	return t.regular
}
