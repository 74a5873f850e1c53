package ui

import (
	"slices"
	"strings"

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
