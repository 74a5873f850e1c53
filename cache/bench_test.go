package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var benchWords = strings.Fields(`خبر تهران اعتراض مردم دولت گزارش امروز شهر دانشگاه اینترنت کتاب
	روزنامه خبرنگار جهان اقتصاد قیمت بازار آزادی زنان دانشجو news report today city university
	internet book newspaper reporter world economy price market freedom women students politics`)

func benchText(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(benchWords[r.IntN(len(benchWords))])
	}
	return b.String()
}

// benchArticles makes n articles of about 2 KB of text each, as a feed of
// the refresh benchmark has.
func benchArticles(r *rand.Rand, prefix string, n int) []Article {
	out := make([]Article, n)
	for i := range out {
		text := benchText(r, 300)
		out[i] = Article{
			GUID: fmt.Sprintf("%s-%d", prefix, i), URL: fmt.Sprintf("https://x.example/%s/%d", prefix, i),
			Title: benchText(r, 8), Text: text, HTML: "<p>" + text + "</p>",
			Published: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1e6)) * time.Minute),
		}
	}
	return out
}

// BenchmarkSaveFetch stores one new feed of 50 articles per operation.
func BenchmarkSaveFetch(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	i := 0
	for b.Loop() {
		b.StopTimer()
		id, _ := s.AddSource(ctx, Source{URL: fmt.Sprint("https://x.example/feed", i)})
		arts := benchArticles(r, fmt.Sprint(i), 50)
		i++
		b.StartTimer()
		if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: arts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*50), "µs/article")
}

// BenchmarkSearch searches 100,000 cached articles and reports the 95th
// percentile of one search's time.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		id, _ := s.AddSource(ctx, Source{URL: fmt.Sprint("https://x.example/feed", i)})
		if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: benchArticles(r, fmt.Sprint(i), 100)}); err != nil {
			b.Fatal(err)
		}
	}
	queries := []string{"تهران", "كتاب", "اعتراض مردم", "news", "freedom women", "دانش", "market price", "اینترنت آزادی"}
	var times []time.Duration
	for b.Loop() {
		q := queries[len(times)%len(queries)]
		start := time.Now()
		got, err := s.Articles(ctx, Query{Search: q, Limit: 50})
		if err != nil || len(got) == 0 {
			b.Fatalf("%q: %d, %v", q, len(got), err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
}
