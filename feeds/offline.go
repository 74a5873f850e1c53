package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kabootar/kabootar/cache"
	"github.com/kabootar/kabootar/transport"
)

// OfflineStore is what the Offliner needs of the cache.
type OfflineStore interface {
	PendingMedia(ctx context.Context, limit int) ([]cache.Pending, error)
	HasMedia(ctx context.Context, url string) (bool, error)
	LinkMedia(ctx context.Context, articleID int64, url string) error
	PutMedia(ctx context.Context, articleID int64, m cache.Media) error
	MediaFailed(ctx context.Context, articleID int64, url, reason string) error
	MediaDone(ctx context.Context, articleIDs ...int64) error
	SetArticleContent(ctx context.Context, id int64, html, text string) error
	EnforceMediaBudget(ctx context.Context) (int, error)
}

// Offliner fetches what articles need to read the same offline: their
// images and, for sources that keep it, their full text. Every byte comes
// through the same Fetcher as the feeds, so strict mode holds for them too.
type Offliner struct {
	Fetcher     Fetcher
	Store       OfflineStore
	Parser      *Parser
	Concurrency int   // articles at once; default 4
	MaxImage    int64 // bytes; default 5 MB
	MaxPerPost  int   // images per article; default 20
	Log         *slog.Logger
}

// OfflineStats says what a run did.
type OfflineStats struct {
	Articles, Images, Failed, FullText, Evicted int
}

// Run works through every article whose media were not yet tried.
func (o *Offliner) Run(ctx context.Context) (OfflineStats, error) {
	var st OfflineStats
	var mu sync.Mutex
	conc := o.Concurrency
	if conc <= 0 {
		conc = 4
	}
	for ctx.Err() == nil {
		batch, err := o.Store.PendingMedia(ctx, 100)
		if err != nil {
			return st, err
		}
		if len(batch) == 0 {
			break
		}
		jobs := make(chan cache.Pending)
		var wg sync.WaitGroup
		var firstErr error
		var done []int64
		for range min(conc, len(batch)) {
			wg.Go(func() {
				for p := range jobs {
					s, err := o.article(ctx, p)
					mu.Lock()
					st.Articles++
					st.Images += s.Images
					st.Failed += s.Failed
					st.FullText += s.FullText
					if err != nil && firstErr == nil {
						firstErr = err
					}
					if err == nil {
						done = append(done, p.ID)
					}
					mu.Unlock()
				}
			})
		}
		for _, p := range batch {
			jobs <- p
		}
		close(jobs)
		wg.Wait()
		if firstErr != nil {
			return st, firstErr // the cache failed: stop rather than loop
		}
		// One transaction for the batch: a refresh of thousands of
		// articles without images writes next to nothing here.
		if err := o.Store.MediaDone(ctx, done...); err != nil {
			return st, err
		}
	}
	n, err := o.Store.EnforceMediaBudget(ctx)
	st.Evicted = n
	return st, err
}

// article does one article: full text first (its images count too), then
// every image. Errors of the network are recorded per image; an error is
// returned only when the cache fails. Run marks it done.
func (o *Offliner) article(ctx context.Context, p cache.Pending) (OfflineStats, error) {
	var st OfflineStats
	content := p.HTML
	if p.FullText && p.URL != "" {
		if h, t, err := o.fullText(ctx, p.URL); err != nil {
			o.log().Info("full text not fetched", "url", p.URL, "err", err)
		} else {
			if err := o.Store.SetArticleContent(ctx, p.ID, h, t); err != nil {
				return st, err
			}
			content = h
			st.FullText++
		}
	}
	imgs := imagesIn(content)
	if limit := o.maxPerPost(); len(imgs) > limit {
		imgs = imgs[:limit]
	}
	for _, u := range imgs {
		has, err := o.Store.HasMedia(ctx, u)
		if err != nil {
			return st, err
		}
		if has {
			if err := o.Store.LinkMedia(ctx, p.ID, u); err != nil {
				return st, err
			}
			continue
		}
		m, err := o.image(ctx, u)
		if err != nil {
			st.Failed++
			reason := string(transport.VerdictOf(err))
			if reason == "" {
				reason = err.Error()
			}
			if err := o.Store.MediaFailed(ctx, p.ID, u, reason); err != nil {
				return st, err
			}
			continue
		}
		if err := o.Store.PutMedia(ctx, p.ID, m); err != nil {
			return st, err
		}
		st.Images++
	}
	return st, nil
}

func (o *Offliner) maxPerPost() int {
	if o.MaxPerPost > 0 {
		return o.MaxPerPost
	}
	return 20
}

// ErrNotImage is an answer that is not an image.
var ErrNotImage = errors.New("not an image")

func (o *Offliner) image(ctx context.Context, u string) (cache.Media, error) {
	limit := o.MaxImage
	if limit <= 0 {
		limit = 5 << 20
	}
	resp, err := o.Fetcher.Fetch(ctx, &transport.Request{URL: u, Accept: "image/*", MaxBytes: limit,
		Check: func(r *transport.Response) error {
			mime := imageType(r)
			if mime == "" {
				return fmt.Errorf("%s: %w", u, ErrNotImage)
			}
			r.Parsed = mime
			return nil
		}})
	if err != nil {
		return cache.Media{}, err
	}
	return cache.Media{URL: u, MIME: resp.Parsed.(string), Data: resp.Body}, nil
}

// imageType is the answer's image type, from its bytes (a server's
// Content-Type is often wrong), or "" when it is not an image.
func imageType(r *transport.Response) string {
	t := http.DetectContentType(r.Body)
	if strings.HasPrefix(t, "image/") {
		return t
	}
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "image/svg") && bytes.Contains(r.Body[:min(len(r.Body), 512)], []byte("<svg")) {
		return "image/svg+xml"
	}
	return ""
}

// imagesIn lists the absolute http(s) image URLs of sanitised HTML, once each.
func imagesIn(content string) []string {
	var out []string
	seen := map[string]bool{}
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if atom.Lookup(name) != atom.Img {
			continue
		}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if string(k) != "src" {
				continue
			}
			u, err := url.Parse(string(v))
			if err == nil && (u.Scheme == "http" || u.Scheme == "https") && !seen[u.String()] {
				seen[u.String()] = true
				out = append(out, u.String())
			}
		}
	}
}

// FullText fetches one article's page now, keeps its full text and
// fetches the images it shows: what "get full text" in the window does.
func (o *Offliner) FullText(ctx context.Context, articleID int64, pageURL string) error {
	if pageURL == "" {
		return errors.New("the article has no page to fetch")
	}
	h, t, err := o.fullText(ctx, pageURL)
	if err != nil {
		return err
	}
	if err := o.Store.SetArticleContent(ctx, articleID, h, t); err != nil {
		return err
	}
	if _, err := o.article(ctx, cache.Pending{ID: articleID, URL: pageURL, HTML: h}); err != nil {
		return err
	}
	return o.Store.MediaDone(ctx, articleID)
}

// ErrNoArticle is a page in which readability found no article.
var ErrNoArticle = errors.New("no article found in the page")

// fullText fetches an article's page and extracts its text with
// readability, sanitised like feed content.
func (o *Offliner) fullText(ctx context.Context, pageURL string) (htmlOut, text string, err error) {
	resp, err := o.Fetcher.Fetch(ctx, &transport.Request{URL: pageURL, Accept: "text/html",
		Check: func(r *transport.Response) error {
			base, _ := url.Parse(r.FinalURL)
			a, err := readability.FromReader(bytes.NewReader(r.Body), base)
			if err != nil || a.Node == nil {
				return fmt.Errorf("%s: %w", pageURL, ErrNoArticle)
			}
			var b bytes.Buffer
			if err := a.RenderHTML(&b); err != nil {
				return err
			}
			r.Parsed = b.String()
			return nil
		}})
	if err != nil {
		return "", "", err
	}
	base, _ := url.Parse(resp.FinalURL)
	h, t := finishHTML(o.Parser.policy.Sanitize(resp.Parsed.(string)), base)
	if strings.TrimSpace(t) == "" {
		return "", "", fmt.Errorf("%s: %w", pageURL, ErrNoArticle)
	}
	return h, t, nil
}

func (o *Offliner) log() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.New(slog.DiscardHandler)
}
