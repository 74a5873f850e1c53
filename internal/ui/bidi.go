package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"golang.org/x/text/unicode/bidi"

	"github.com/kabootar/kabootar/internal/feeds"
)

// visualRTL orders a right-to-left line with left-to-right runs in it
// (numbers, Latin words) for Fyne, which lays a label's runs left to right
// in the order of the text and shapes each in its own direction: the runs
// are given right to left, so that "۲۰ دقیقه پیش" reads with its number
// on the right. Text without a left-to-right run, or that starts left to
// right, is returned as it is.
func visualRTL(s string) string {
	if feeds.Direction(s) != "rtl" {
		return s
	}
	var p bidi.Paragraph
	if _, err := p.SetString(s, bidi.DefaultDirection(bidi.RightToLeft)); err != nil {
		return s
	}
	o, err := p.Order()
	if err != nil || o.NumRuns() < 2 {
		return s
	}
	runs := make([]string, o.NumRuns())
	for i := range runs {
		r := o.Run(i)
		runs[i] = r.String()
	}
	slices.Reverse(runs)
	return strings.Join(runs, "")
}

// fitLine is a one-line label's text for width: a right-to-left line cut
// at its logical end (with "…") until it fits, then ordered for Fyne
// (visualRTL). Fyne's own ellipsis would cut an ordered line at its right,
// which is where a right-to-left line begins. Left-to-right text is left
// to Fyne.
func fitLine(logical string, width, size float32, style fyne.TextStyle) string {
	if feeds.Direction(logical) != "rtl" || width <= 0 {
		return visualRTL(logical)
	}
	fits := func(s string) bool { return fyne.MeasureText(s, size, style).Width <= width }
	if line := visualRTL(logical); fits(line) {
		return line
	}
	runes := []rune(logical)
	lo, hi := 0, len(runes) // the longest prefix that fits is in [lo, hi)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(visualRTL(strings.TrimSpace(string(runes[:mid])) + "…")) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return visualRTL(strings.TrimSpace(string(runes[:lo])) + "…")
}
