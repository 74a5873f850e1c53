package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/kabootar/kabootar/internal/cache"
)

// BenchmarkWindow100k opens the window on a cache of 100,000 articles and
// reports the time until the article list shows its first page, the time
// to show one article, and a search as the reader types.
func BenchmarkWindow100k(b *testing.B) {
	ctx := context.Background()
	st, err := cache.Open(ctx, filepath.Join(b.TempDir(), cache.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for s := range 100 {
		id, _ := st.AddSource(ctx, cache.Source{URL: fmt.Sprint("https://x.example/", s), Name: fmt.Sprint("Source ", s)})
		arts := make([]cache.Article, 1000)
		for i := range arts {
			arts[i] = cache.Article{GUID: fmt.Sprint(s, "-", i), Title: fmt.Sprintf("خبر شماره %d از منبع %d", i, s),
				Text: "متن خبر درباره تهران و اینترنت", HTML: "<p>متن خبر درباره تهران و اینترنت</p>", Published: day.Add(time.Duration(s*1000+i) * time.Minute)}
		}
		if _, err := st.SaveFetch(ctx, id, &cache.Fetched{Articles: arts}); err != nil {
			b.Fatal(err)
		}
	}
	a := test.NewTempApp(b)
	var first, open, search time.Duration
	var steps []time.Duration
	for b.Loop() {
		start := time.Now()
		w := New(a, Deps{Library: st})
		w.Start(ctx)
		waitFor(w, func() bool { return len(w.articles) == pageSize })
		first = time.Since(start)

		start = time.Now()
		locked(w, func() { w.articleList.Select(10) })
		waitFor(w, func() bool { return w.current != nil })
		open = time.Since(start)

		start = time.Now()
		locked(w, func() { w.query.Search = "تهران"; w.reloadArticles() })
		waitFor(w, func() bool { return !w.loading && len(w.articles) == pageSize })
		search = time.Since(start)
		// Scrolling: the list moves three rows at a time through 2,000
		// rows (ten pages read as it goes); each step is the work a frame
		// would do (rows rebound, the next page asked for).
		locked(w, func() { w.query.Search = ""; w.reloadArticles() })
		waitFor(w, func() bool { return !w.loading && len(w.articles) == pageSize })
		row := w.articleList.MinSize().Height
		locked(w, func() {
			if h := rowHeight(w); h > 0 {
				row = h
			}
		})
		steps = steps[:0]
		for y := float32(0); y < 2000*row; y += 3 * row {
			waitFor(w, func() bool { return float32(len(w.articles))*row > y+800 || !w.more })
			start := time.Now()
			locked(w, func() { w.articleList.ScrollToOffset(y) })
			steps = append(steps, time.Since(start))
		}
		locked(w, func() {
			if len(w.articles) < 2000 {
				b.Fatalf("scrolling read %d rows, not 2,000: the list did not move", len(w.articles))
			}
		})
		w.Wait()
	}
	slices.Sort(steps)
	b.ReportMetric(float64(steps[len(steps)/2].Microseconds())/1000, "scroll-step-p50-ms")
	b.ReportMetric(float64(steps[len(steps)*95/100].Microseconds())/1000, "scroll-step-p95-ms")
	b.ReportMetric(float64(steps[len(steps)-1].Microseconds())/1000, "scroll-step-max-ms")
	b.ReportMetric(float64(first.Microseconds())/1000, "first-page-ms")
	b.ReportMetric(float64(open.Microseconds())/1000, "open-ms")
	b.ReportMetric(float64(search.Microseconds())/1000, "search-ms")
}

// rowHeight is the height of one row of the article list.
func rowHeight(w *Window) float32 {
	if len(w.articles) == 0 {
		return 0
	}
	return w.articleList.CreateItem().MinSize().Height + theme.Padding()
}

func waitFor(w *Window, cond func() bool) {
	for {
		ok := false
		locked(w, func() { ok = cond() })
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
