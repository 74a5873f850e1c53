// Package ui is Kabootar's Fyne window: sources, articles and the reader,
// over the same cache and transport as the command line. It reads from the
// cache, is told of changes by the refresher, never waits on the network or
// the disk on the Fyne thread (work runs in goroutines and comes back with
// fyne.Do), and never loads a URL itself: images come from the cache.
package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/kabootar/kabootar/assets"

	"github.com/kabootar/kabootar/internal/app"
)

// Reading is how the reader wants text shown.
type Reading = app.Reading

// kabootarTheme is Fyne's theme with Vazirmatn, which carries Persian as
// well as Latin, so Persian reads well without a Persian system font; and
// with the reader's theme and text size.
type kabootarTheme struct {
	fyne.Theme
	regular, bold fyne.Resource
	reading       Reading
}

func newTheme(r Reading) fyne.Theme {
	if r.Scale <= 0 {
		r.Scale = 1
	}
	return &kabootarTheme{
		Theme:   theme.DefaultTheme(),
		regular: fyne.NewStaticResource("Vazirmatn-Regular.ttf", assets.FontRegular),
		bold:    fyne.NewStaticResource("Vazirmatn-Bold.ttf", assets.FontBold),
		reading: r,
	}
}

func (t *kabootarTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.reading.Theme {
	case "light":
		v = theme.VariantLight
	case "dark":
		v = theme.VariantDark
	}
	return t.Theme.Color(n, v)
}

func (t *kabootarTheme) Size(n fyne.ThemeSizeName) float32 {
	s := t.Theme.Size(n)
	switch n {
	case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText, theme.SizeNameCaptionText:
		return s * t.reading.Scale
	}
	return s
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
