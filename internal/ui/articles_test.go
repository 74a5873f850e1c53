package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/kabootar/kabootar/internal/cache"
)

// A row shows a line of the summary, in the article's direction.
func TestArticleRowSummary(t *testing.T) {
	test.NewTempApp(t)
	r := newArticleRow()
	for _, tt := range []struct {
		a     cache.Summary
		text  string
		align fyne.TextAlign
	}{
		{cache.Summary{Title: "خبر", Summary: "هزاران نفر\nامروز گرد آمدند", Dir: "rtl", Published: time.Now()}, "هزاران نفر امروز گرد آمدند", fyne.TextAlignTrailing},
		{cache.Summary{Title: "News", Summary: "Thousands   gathered today", Dir: "ltr", Published: time.Now()}, "Thousands gathered today", fyne.TextAlignLeading},
		{cache.Summary{Title: "News", Summary: strings.Repeat("long ", 200), Published: time.Now()}, strings.TrimSpace(strings.Repeat("long ", 60)), fyne.TextAlignLeading},
	} {
		r.set(tt.a, "Source", false)
		if got := r.summary.Text; got != tt.text || r.summary.Alignment != tt.align {
			t.Errorf("%q: summary %q aligned %v, want %q aligned %v", tt.a.Summary[:min(20, len(tt.a.Summary))], got, r.summary.Alignment, tt.text, tt.align)
		}
	}
}
