package feeds

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// OfflineStore is what the Offliner needs of the cache.
type OfflineStore interface {
	PendingMediaAfter(ctx context.Context, after int64, limit int) ([]cache.Pending, error)
	HasMedia(ctx context.Context, url string) (bool, error)
	StoredMedia(ctx context.Context, urls []string) (map[string]bool, error)
	SaveMedia(ctx context.Context, results []cache.MediaResult, done []int64) error
	SetArticleContent(ctx context.Context, id int64, html, text string) error
	EnforceMediaBudget(ctx context.Context) (int, error)
}

// Offliner fetches what articles need to read the same offline: their
// images and, for sources that keep it, their full text. Every byte comes
// through the same Fetcher as the feeds, so strict mode holds for them too.
//
// A pass (Start) runs beside the refresh: it takes the articles stored so
// far each time it is woken, so images come while feeds still arrive (the
// reader sees text first), many at once but a few per host, and their
// results are written a batch per transaction. Its time is bounded: each
// image has ImageTimeout, a host whose images keep timing out is left for
// the next refresh, and once the refresh is over the pass has Budget to
// finish; what is left then waits for the next refresh.
type Offliner struct {
	Fetcher      Fetcher
	Store        OfflineStore
	Parser       *Parser
	Concurrency  int           // articles at once; default 16
	PerHost      int           // images in flight to one host; default 6
	ImageTimeout time.Duration // one image or page; default 20 s
	HostTimeouts int           // timeouts on a host before the rest of its images wait; default 3
	Budget       time.Duration // for the pass once the refresh is over; default 2 min
	MaxImage     int64         // bytes; default 5 MB
	MaxPerPost   int           // images per article; default 20
	Log          *slog.Logger
}

// OfflineStats says what a run did.
type OfflineStats struct {
	Articles, Images, Failed, FullText, Evicted int
	// Deferred articles are left for the next refresh: the pass's budget
	// ran out, or their images' host kept timing out.
	Deferred int
}

// errBudget ends a pass that used its time.
var errBudget = errors.New("the time for saving images ran out")

// Pass is one run of the Offliner beside a refresh.
type Pass struct {
	o      *Offliner
	ctx    context.Context
	cancel context.CancelCauseFunc
	wake   chan struct{}
	finish chan struct{}
	done   chan struct{}
	hosts  *hostLimiter
	writes chan write

	mu       sync.Mutex
	st       OfflineStats
	err      error
	timeouts map[string]int      // image timeouts per host
	calls    map[string]*imgCall // images fetched in this pass, by URL
}

// write is what the pass's one writer stores: a result, or an article done.
type write struct {
	res  *cache.MediaResult
	done int64
}

type imgCall struct {
	done   chan struct{}
	ok     bool
	reason string
}

// Start begins a pass; Wake it when articles were stored, Wait for it
// when the refresh is over.
func (o *Offliner) Start(ctx context.Context) *Pass {
	pctx, cancel := context.WithCancelCause(ctx)
	p := &Pass{o: o, ctx: pctx, cancel: cancel, wake: make(chan struct{}, 1), finish: make(chan struct{}),
		done: make(chan struct{}), hosts: newHostLimiter(cmp.Or(o.PerHost, 6)), writes: make(chan write, 4),
		timeouts: map[string]int{}, calls: map[string]*imgCall{}}
	go p.run()
	return p
}

// Wake tells the pass that more articles may be waiting.
func (p *Pass) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Wait ends the pass once the articles stored so far are done or its
// budget is spent, enforces the media budget, and says what it did. An
// error means the cache failed.
func (p *Pass) Wait() (OfflineStats, error) {
	close(p.finish)
	budget := time.AfterFunc(cmp.Or(p.o.Budget, 2*time.Minute), func() { p.cancel(errBudget) })
	<-p.done
	budget.Stop()
	p.cancel(context.Canceled)
	if p.err != nil {
		return p.st, p.err
	}
	n, err := p.o.Store.EnforceMediaBudget(context.WithoutCancel(p.ctx))
	p.st.Evicted = n
	return p.st, err
}

// RefreshWithMedia refreshes sources with a pass of off beside it, so that
// images come while the feeds still arrive: the one sequence the command
// line and the window both run. The error is the pass's (the cache failed).
func (r *Refresher) RefreshWithMedia(ctx context.Context, off *Offliner, sources []cache.Source, progress func(Progress)) ([]Result, OfflineStats, error) {
	pass := off.Start(ctx)
	results := r.Refresh(ctx, sources, func(p Progress) {
		pass.Wake()
		if progress != nil {
			progress(p)
		}
	})
	st, err := pass.Wait()
	return results, st, err
}

// Run works through every article whose media were not yet tried.
func (o *Offliner) Run(ctx context.Context) (OfflineStats, error) {
	return o.Start(ctx).Wait()
}

func (p *Pass) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.cancel(err)
}

// job is one article of a pass, with its images and which of them are
// stored already (asked for a whole batch at once).
type job struct {
	a      cache.Pending
	imgs   []string
	stored map[string]bool
}

// pendingBatch is how many articles a pass reads from the cache at once.
const pendingBatch = 200

func (p *Pass) run() {
	defer close(p.done)
	// A batch's articles wait in the channel while the next batch is read,
	// so that the fetchers do not wait for the cache between batches.
	jobs := make(chan job, pendingBatch)
	var workers sync.WaitGroup
	for range cmp.Or(p.o.Concurrency, 16) {
		workers.Go(func() {
			for j := range jobs {
				p.article(j)
			}
		})
	}
	writer := make(chan struct{})
	go func() { defer close(writer); p.writer() }()

	var last int64
	finishing := false
	for p.ctx.Err() == nil {
		batch, err := p.o.Store.PendingMediaAfter(p.ctx, last, pendingBatch)
		if err != nil {
			if p.ctx.Err() == nil {
				p.fail(err)
			}
			break
		}
		if len(batch) == 0 {
			if finishing {
				break
			}
			select {
			case <-p.wake:
			case <-p.finish:
				finishing = true
			case <-p.ctx.Done():
			}
			continue
		}
		js := make([]job, len(batch))
		var urls []string
		for i, a := range batch {
			js[i] = job{a: a}
			if !a.FullText { // a full text's images are known once it is fetched
				js[i].imgs = p.o.imagesOf(a.Images, a.HTML)
				js[i].a.HTML = "" // not needed again: not held while the job waits
				urls = append(urls, js[i].imgs...)
			}
		}
		stored, err := p.o.Store.StoredMedia(p.ctx, urls)
		if err != nil {
			if p.ctx.Err() == nil {
				p.fail(err)
			}
			break
		}
		for _, j := range js {
			last = j.a.ID
			if !j.a.FullText {
				j.stored = stored
			}
			select {
			case jobs <- j:
			case <-p.ctx.Done():
			}
		}
	}
	close(jobs)
	workers.Wait()
	close(p.writes)
	<-writer
}

// The writer's batches. One is stored while the next is collected; the
// next is handed over once the flusher is free and it holds minBatch
// results or has waited batchWait. While the flusher is busy the batch
// grows, to maxBatch results or maxBatchBytes of images, and then the
// fetchers wait: what waits for the cache is bounded in bytes, not only in
// results (512 images of 5 MB would be gigabytes).
const (
	minBatch      = 512
	maxBatch      = 4096
	maxBatchBytes = 4 << 20
	batchWait     = 250 * time.Millisecond
)

// writer stores results a batch per transaction: a flusher beside it
// stores one batch while the writer collects the next, so that fetching
// goes on while the cache writes.
func (p *Pass) writer() {
	type batch struct {
		results []cache.MediaResult
		done    []int64
		bytes   int
	}
	batches := make(chan batch) // unbuffered: a send means the flusher is free
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		for b := range batches {
			// Stored even when the pass is being stopped: what was fetched is kept.
			if err := p.o.Store.SaveMedia(context.WithoutCancel(p.ctx), b.results, b.done); err != nil {
				p.fail(err)
			}
		}
	}()
	defer func() { <-flushed }()
	defer close(batches)
	var cur batch
	due := false // a tick came while the batch waited: it goes when it can
	tick := time.NewTicker(batchWait)
	defer tick.Stop()
	in := p.writes
	for {
		n := len(cur.results) + len(cur.done)
		if in == nil && n == 0 {
			return
		}
		full := n >= maxBatch || cur.bytes >= maxBatchBytes
		var out chan batch
		if n > 0 && (due || full || n >= minBatch || in == nil) {
			out = batches
		}
		recv := in
		if full {
			recv = nil // the fetchers wait until the flusher takes this batch
		}
		select {
		case w, ok := <-recv:
			if !ok {
				in = nil
				continue
			}
			if w.res != nil {
				cur.results = append(cur.results, *w.res)
				if w.res.Media != nil {
					cur.bytes += len(w.res.Media.Data)
				}
			} else {
				cur.done = append(cur.done, w.done)
			}
		case out <- cur:
			cur, due = batch{}, false
		case <-tick.C:
			due = n > 0
		}
	}
}

func (p *Pass) emit(w write) { p.writes <- w }

// article does one article: full text first (its images count too), then
// every image. It is marked done unless the pass stopped first or some
// image's host was set aside; then it waits for the next refresh.
func (p *Pass) article(j job) {
	a := j.a
	st, deferred, err := p.o.article(p.ctx, j, p)
	p.mu.Lock()
	p.st.Images += st.Images
	p.st.Failed += st.Failed
	p.st.FullText += st.FullText
	if deferred || p.ctx.Err() != nil {
		p.st.Deferred++
	} else {
		p.st.Articles++
	}
	p.mu.Unlock()
	if err != nil {
		p.fail(err)
		return
	}
	if !deferred && p.ctx.Err() == nil {
		p.emit(write{done: a.ID})
	}
}

// setAside says whether a host's images wait for the next refresh.
func (p *Pass) setAside(host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timeouts[host] >= cmp.Or(p.o.HostTimeouts, 3)
}

func (p *Pass) timedOut(host string) {
	p.mu.Lock()
	p.timeouts[host]++
	p.mu.Unlock()
}

// sink is where an article's results go: a pass's writer, or a slice.
type sink interface {
	emit(write)
}

type collected struct{ results []cache.MediaResult }

func (c *collected) emit(w write) {
	if w.res != nil {
		c.results = append(c.results, *w.res)
	}
}

// article fetches one article's full text (when asked) and images, and
// gives what came to out. deferred says some images were left for later;
// an error is returned only when the cache fails.
func (o *Offliner) article(ctx context.Context, j job, out sink) (st OfflineStats, deferred bool, err error) {
	a := j.a
	content := a.HTML
	if a.FullText && a.URL != "" {
		if h, t, err := o.fullText(ctx, a.URL); err != nil {
			o.log().Info("full text not fetched", "url", a.URL, "err", err)
		} else {
			if err := o.Store.SetArticleContent(ctx, a.ID, h, t); err != nil {
				return st, false, err
			}
			content = h
			st.FullText++
		}
	}
	imgs, stored := j.imgs, j.stored
	if stored == nil {
		imgs = o.imagesOf(nil, content)
	}
	pass, _ := out.(*Pass)
	for _, u := range imgs {
		if ctx.Err() != nil {
			return st, true, nil
		}
		host := hostKey(u)
		if pass != nil && pass.setAside(host) {
			deferred = true
			continue
		}
		var call *imgCall
		if pass != nil {
			call = pass.begin(u)
			if call != nil { // another article fetches it in this pass
				select {
				case <-call.done:
				case <-ctx.Done():
					return st, true, nil
				}
				if call.ok {
					out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u}})
				} else if call.reason != "" {
					st.Failed++
					out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u, Failed: call.reason}})
				} else {
					deferred = true
				}
				continue
			}
		}
		if stored[u] {
			out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u}})
			if pass != nil {
				pass.end(u, true, "")
			}
			continue
		}
		ok, reason, later, err := o.oneImage(ctx, a, u, stored == nil, pass, out)
		if pass != nil {
			pass.end(u, ok, reason)
		}
		switch {
		case err != nil:
			return st, deferred, err
		case later:
			deferred = true
		case ok:
			st.Images++
		case reason != "":
			st.Failed++
		}
	}
	return st, deferred, nil
}

// oneImage gets one image for an article: linked when stored already,
// else fetched (within ImageTimeout, a few per host) and given to out.
// later says it was not tried to the end and waits for the next refresh.
func (o *Offliner) oneImage(ctx context.Context, a cache.Pending, u string, ask bool, pass *Pass, out sink) (ok bool, reason string, later bool, err error) {
	if ask { // not known from the batch: ask the cache
		has, err := o.Store.HasMedia(ctx, u)
		if err != nil {
			if ctx.Err() != nil {
				return false, "", true, nil
			}
			return false, "", false, err
		}
		if has {
			out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u}})
			return true, "", false, nil
		}
	}
	release := func() {}
	if pass != nil {
		var err error
		if release, err = pass.hosts.acquire(ctx, u); err != nil {
			return false, "", true, nil
		}
		// Asked again: while this waited for its turn, the host's
		// images may have been set aside.
		if pass.setAside(hostKey(u)) {
			release()
			return false, "", true, nil
		}
	}
	ictx, cancel := context.WithTimeout(ctx, cmp.Or(o.ImageTimeout, 20*time.Second))
	m, ferr := o.image(ictx, u, a.Route)
	timedOut := ictx.Err() != nil && ctx.Err() == nil
	cancel()
	// The host's turn ends with the fetch: the next image of the host need
	// not wait while this one waits for the cache's writer.
	release()
	if ferr == nil {
		out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u, Media: &m}})
		return true, "", false, nil
	}
	if ctx.Err() != nil {
		return false, "", true, nil // the pass stopped: not the image's fault
	}
	reason = string(transport.VerdictOf(ferr))
	if timedOut || isTimeout(transport.Verdict(reason)) {
		if pass != nil {
			pass.timedOut(hostKey(u))
		}
		if reason == "" {
			reason = string(transport.VerdictHTTPTimeout)
		}
	}
	if reason == "" {
		reason = ferr.Error()
	}
	out.emit(write{res: &cache.MediaResult{ArticleID: a.ID, URL: u, Failed: reason}})
	return false, reason, false, nil
}

func isTimeout(v transport.Verdict) bool {
	switch v {
	case transport.VerdictTCPTimeout, transport.VerdictTLSTimeout, transport.VerdictHTTPTimeout, transport.VerdictDNSTimeout:
		return true
	}
	return false
}

// begin claims u for this caller, or returns the call of another article
// already fetching it in this pass.
func (p *Pass) begin(u string) *imgCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.calls[u]; ok {
		return c
	}
	p.calls[u] = &imgCall{done: make(chan struct{})}
	return nil
}

func (p *Pass) end(u string, ok bool, reason string) {
	p.mu.Lock()
	c := p.calls[u]
	p.mu.Unlock()
	c.ok, c.reason = ok, reason
	close(c.done)
}

// imagesOf lists the images an article shows, up to MaxPerPost: those its
// feed's parser listed, or else those of its HTML.
func (o *Offliner) imagesOf(listed []string, html string) []string {
	imgs := listed
	if imgs == nil {
		imgs = Images(html)
	}
	if limit := o.maxPerPost(); len(imgs) > limit {
		imgs = imgs[:limit]
	}
	return imgs
}

func (o *Offliner) maxPerPost() int {
	if o.MaxPerPost > 0 {
		return o.MaxPerPost
	}
	return 20
}

// ErrNotImage is an answer that is not an image.
var ErrNotImage = errors.New("not an image")

func (o *Offliner) image(ctx context.Context, u, route string) (cache.Media, error) {
	limit := o.MaxImage
	if limit <= 0 {
		limit = 5 << 20
	}
	var alts []string
	if alt := telegramMediaAlt(u); alt != "" {
		alts = []string{alt} // Telegram's other media host serves the same file
	}
	resp, err := o.Fetcher.Fetch(ctx, &transport.Request{URL: u, Alternatives: alts, Accept: "image/*", MaxBytes: limit, Route: route,
		Check: func(r *transport.Response) error {
			mime := imageType(r)
			if mime == "" {
				return fmt.Errorf("%s: %w", u, ErrNotImage)
			}
			// A small file may claim billions of pixels, which the window
			// would have to decode.
			if err := cache.CheckImage(r.Body); err != nil {
				return err
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

// Images lists the absolute http(s) image URLs of an article's sanitised
// HTML, once each. Only the img tags are tokenised: it runs over every
// article.
func Images(content string) []string {
	var out []string
	seen := map[string]bool{}
	for {
		i := strings.Index(content, "<img")
		if i < 0 {
			return out
		}
		content = content[i:]
		z := html.NewTokenizer(strings.NewReader(content))
		tt := z.Next()
		raw := len(z.Raw())
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			if name, hasAttr := z.TagName(); atom.Lookup(name) == atom.Img {
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
		content = content[max(raw, 4):]
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
	var out collected
	if _, _, err := o.article(ctx, job{a: cache.Pending{ID: articleID, URL: pageURL, HTML: h}}, &out); err != nil {
		return err
	}
	return o.Store.SaveMedia(ctx, out.results, []int64{articleID})
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
