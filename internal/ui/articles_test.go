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

// The unread dot and the star are on the reading side of the title: the
// start of an English one, after a Persian one (Fyne lays lines left to
// right, so that is its right).
func TestArticleRowMarks(t *testing.T) {
	test.NewTempApp(t)
	r := newArticleRow()
	for _, tt := range []struct {
		a    cache.Summary
		want string
	}{
		{cache.Summary{Title: "News", Starred: true}, "● ★ News"},
		{cache.Summary{Title: "News", Read: true}, "News"},
		{cache.Summary{Title: "خبر تازه", Starred: true}, "خبر تازه ★ ●"},
		{cache.Summary{Title: "خبر تازه", Read: true, Starred: true}, "خبر تازه ★"},
		// A title of runs: ordered, the marks still at the right end.
		{cache.Summary{Title: "قطع در ۱۲ استان"}, " استان۱۲قطع در  ●"},
	} {
		r.set(tt.a, "Source", false)
		if r.title.Text != tt.want {
			t.Errorf("%+v: %q, want %q", tt.a, r.title.Text, tt.want)
		}
	}
}

// A Persian title with a number in it reads in order (Fyne lays its runs
// left to right, so they are given right to left), and one too long for
// the row is cut at its logical end, not at its beginning.
func TestPersianTitleWithNumberFits(t *testing.T) {
	test.NewTempApp(t)
	title := "قطع اینترنت در ۲ استان کشور از بامداد امروز"
	style := fyne.TextStyle{Bold: true}
	size := float32(14)
	wide := fitLine(title, 2000, size, style)
	if !strings.HasPrefix(wide, " استان کشور از بامداد امروز") || !strings.HasSuffix(wide, "قطع اینترنت در ") || !strings.Contains(wide, "۲") {
		t.Errorf("wide: %q: want the runs right to left (the last run first)", wide)
	}
	full := fyne.MeasureText(visualRTL(title), size, style).Width
	narrow := fitLine(title, full/2, size, style)
	if w := fyne.MeasureText(narrow, size, style).Width; w > full/2 {
		t.Errorf("narrow: %q is %v wide, more than %v", narrow, w, full/2)
	}
	if !strings.Contains(narrow, "قطع اینترنت") || !strings.Contains(narrow, "…") || strings.Contains(narrow, "امروز") {
		t.Errorf("narrow: %q: want the beginning kept and the end cut", narrow)
	}
	if got := fitLine("Internet cut in 2 provinces", 50, size, style); got != "Internet cut in 2 provinces" {
		t.Errorf("English is left to Fyne: %q", got)
	}
}

// A Persian source name with a number in it reads in order in the list.
func TestPersianSourceNameWithNumber(t *testing.T) {
	test.NewTempApp(t)
	r := newSourceRow(true)
	r.setName("کانال ۱۲۶")
	if r.name.Text != visualRTL("کانال ۱۲۶") || r.name.Text == "کانال ۱۲۶" {
		t.Errorf("shown %q: want the runs ordered for Fyne", r.name.Text)
	}
	r.setName("BBC News 24")
	if r.name.Text != "BBC News 24" {
		t.Errorf("an English name changed: %q", r.name.Text)
	}
}
