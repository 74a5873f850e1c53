package cache

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/keys"
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

// benchStore is a new cache in the benchmark's directory.
func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSaveFetch stores one new feed of 50 articles per operation.
func BenchmarkSaveFetch(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
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

// zipfText draws words from a vocabulary by Zipf's law, as words fall in
// real text: a few very common, most rare.
type zipfText struct {
	vocab []string
	z     *rand.Zipf
}

func newZipfText(r *rand.Rand, n int) *zipfText {
	faSyl := strings.Fields("ba ke ta ra mi na sa da la ho ro za ja fa ka ga")
	fa := []rune("بتپثجچحخدذرزژسشصضطظعغفقکگلمنوهی")
	vocab := make([]string, n)
	for i := range vocab {
		var w strings.Builder
		if i%2 == 0 { // Persian-looking
			for range 3 + r.IntN(4) {
				w.WriteRune(fa[r.IntN(len(fa))])
			}
		} else {
			for range 2 + r.IntN(3) {
				w.WriteString(faSyl[r.IntN(len(faSyl))])
			}
		}
		vocab[i] = w.String()
	}
	return &zipfText{vocab: vocab, z: rand.NewZipf(r, 1.07, 2, uint64(n-1))}
}

func (z *zipfText) words(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(z.vocab[z.z.Uint64()])
	}
	return b.String()
}

// BenchmarkSearch searches 100,000 cached articles (300 words each, from a
// 30,000-word vocabulary under Zipf's law, plus one word in every article)
// and reports the 95th percentile of one search's time over a mix of
// queries: common, middling and rare words, two-word queries, and the
// worst case, a word that every article holds.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	r := rand.New(rand.NewPCG(3, 4))
	zt := newZipfText(r, 30000)
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		id, _ := s.AddSource(ctx, Source{URL: fmt.Sprint("https://x.example/feed", i)})
		arts := make([]Article, 100)
		for j := range arts {
			arts[j] = Article{GUID: fmt.Sprint(i, "-", j), Title: zt.words(8), Text: "خبر " + zt.words(300),
				Published: day.Add(time.Duration(r.IntN(1e6)) * time.Minute)}
		}
		if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: arts}); err != nil {
			b.Fatal(err)
		}
	}
	queries := []string{"خبر"} // in every article
	for _, rank := range []int{5, 20, 50, 200, 1000, 5000, 20000} {
		queries = append(queries, zt.vocab[rank])
	}
	queries = append(queries, zt.vocab[10]+" "+zt.vocab[300], zt.vocab[3]+" "+zt.vocab[7], strings.ReplaceAll(zt.vocab[40], "ی", "ي"))
	var times []time.Duration
	var worst time.Duration
	for b.Loop() {
		q := queries[len(times)%len(queries)]
		start := time.Now()
		got, err := s.Articles(ctx, Query{Search: q, Limit: 50})
		if err != nil || len(got) == 0 {
			b.Fatalf("%q: %d, %v", q, len(got), err)
		}
		d := time.Since(start)
		if q == queries[0] {
			worst = max(worst, d)
		}
		times = append(times, d)
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "every-article-ms")
}

// BenchmarkSaveMedia stores a refresh's batch of 512 distinct 4 KB images,
// one per article, as the offline pass's writer does.
func BenchmarkSaveMedia(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	r := rand.New(rand.NewPCG(3, 4))
	const batch = 512
	n := 0
	for b.Loop() {
		b.StopTimer()
		id, _ := s.AddSource(ctx, Source{URL: fmt.Sprint("https://x.example/feed", n)})
		if _, err := s.SaveFetch(ctx, id, &Fetched{Articles: benchArticles(r, fmt.Sprint(n), batch)}); err != nil {
			b.Fatal(err)
		}
		arts, _ := s.Articles(ctx, Query{SourceID: id, Limit: batch})
		results := make([]MediaResult, 0, batch)
		done := make([]int64, 0, batch)
		for _, a := range arts {
			data := make([]byte, 4096)
			for j := range data {
				data[j] = byte(r.Uint32())
			}
			results = append(results, MediaResult{ArticleID: a.ID, URL: fmt.Sprintf("https://img.example/%d/%d.png", n, a.ID), Media: &Media{MIME: "image/png", Data: data}})
			done = append(done, a.ID)
		}
		n++
		b.StartTimer()
		if err := s.SaveMedia(ctx, results, done); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/image")
}

// BenchmarkImportBundle imports a signed bundle of 2,000 articles of
// about 2 KB in four sources, half with a distinct small PNG, into an empty cache: the
// verification pass, the sanitiser (a stand-in here; feeds' in make
// bench's import of 100,000), the batched writes.
func BenchmarkImportBundle(b *testing.B) {
	ctx := context.Background()
	from := benchStore(b)
	r := rand.New(rand.NewPCG(5, 6))
	const n = 2000 // four sources of 500, the most a source keeps
	for i := range 4 {
		id, _ := from.AddSource(ctx, Source{URL: fmt.Sprint("https://x.example/feed", i)})
		if _, err := from.SaveFetch(ctx, id, &Fetched{Articles: benchArticles(r, fmt.Sprint(i), n/4)}); err != nil {
			b.Fatal(err)
		}
	}
	arts, _ := from.Articles(ctx, Query{Limit: n})
	var results []MediaResult
	for i, a := range arts {
		if i%2 == 0 {
			results = append(results, MediaResult{ArticleID: a.ID, URL: fmt.Sprintf("https://img.example/%d.png", a.ID),
				Media: &Media{MIME: "image/png", Data: benchPNG(uint8(i), uint8(i>>8))}})
		}
	}
	if err := from.SaveMedia(ctx, results, nil); err != nil {
		b.Fatal(err)
	}
	signer, err := keys.Load(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := from.ExportBundle(ctx, &buf, BundleOptions{Signer: signer}); err != nil {
		b.Fatal(err)
	}
	rules := ImportRules{Clean: func(h string) (string, string) { return h, h }, IsBridge: func(string) bool { return false }}
	for b.Loop() {
		b.StopTimer()
		to := benchStore(b)
		b.StartTimer()
		st, err := to.ImportBundle(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), rules)
		if err != nil || st.Articles != n || st.Media != n/2 {
			b.Fatalf("%+v %v", st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/article")
}

// benchPNG is a small PNG, distinct for each (x, y).
func benchPNG(x, y uint8) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	img.Pix[0], img.Pix[1], img.Pix[3] = x, y, 255
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
