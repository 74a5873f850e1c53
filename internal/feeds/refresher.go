package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// Fetcher is what the refresher needs of the transport.
type Fetcher interface {
	Fetch(ctx context.Context, req *transport.Request) (*transport.Response, error)
}

// Store is what the refresher needs of the cache.
type Store interface {
	SaveFetch(ctx context.Context, sourceID int64, f *cache.Fetched) (cache.SaveResult, error)
	SaveFailure(ctx context.Context, sourceID int64, f cache.Failure) error
}

// Refresher brings sources up to date: it fetches them through the
// transport with bounded concurrency (and a small limit per host), parses
// them, and stores each in one transaction. Fetching and parsing run in
// parallel with storing, which is one writer.
type Refresher struct {
	Fetcher Fetcher
	Store   Store
	Parser  *Parser
	// Concurrency bounds the sources in flight; 0 means a default suited
	// to the machine. PerHost bounds those on one host.
	Concurrency int
	PerHost     int
	// Interval is the time between refreshes of a healthy source; failures
	// back off from it, doubling up to MaxBackoff.
	Interval   time.Duration
	MaxBackoff time.Duration
	Now        func() time.Time
	Log        *slog.Logger

	// Backfill is how many posts a channel's first refresh reads back
	// (default 100); later refreshes read back until they meet a post
	// already read, at most MaxPages pages (default 10).
	Backfill int
	MaxPages int
	// Expand gives a bridge source's URLs, one per configured bridge.
	Expand func(cache.Source) ([]string, error)
}

// Defaults for the refresher.
const (
	DefaultInterval   = 30 * time.Minute
	DefaultMaxBackoff = 12 * time.Hour
	DefaultPerHost    = 4
)

// Result is how one source's refresh went.
type Result struct {
	Source      cache.Source
	OK          bool
	Route       string
	URLUsed     string
	New         int
	Updated     int
	NotModified bool
	Elapsed     time.Duration
	Attempts    []transport.Attempt
	Verdict     transport.Verdict
	Err         error
	// Offline says the network carried nothing when this source came up:
	// it was not tried, or was cut short, and its state was left as it was.
	Offline bool
}

// ErrOffline is a source not tried because the network carries nothing:
// the first sources' every route failed at the network level.
var ErrOffline = errors.New("not tried: the network seems to be down (nothing answered on any route)")

// Offline says whether a refresh found the network carrying nothing. It
// is the one rule for "offline", for the command line and the window.
func Offline(results []Result) bool {
	offline := false
	for _, r := range results {
		switch {
		case r.Offline:
			offline = true
		case r.OK, len(r.Attempts) > 0 && !networkFailure(r), r.Verdict != "" && !r.Verdict.Offline():
			return false // something answered
		}
	}
	return offline
}

// networkFailure says whether a source failed with nothing answering on
// any route: no route, connections timing out, names not resolving,
// proxies unreachable. A refusal, a reset, a block page or an error
// status is an answer, and says the network works.
func networkFailure(r Result) bool {
	if r.OK || len(r.Attempts) == 0 {
		return false
	}
	for _, a := range r.Attempts {
		if !a.Verdict.Offline() {
			return false
		}
	}
	return true
}

// offlineHosts is how many hosts must fail at the network level, with
// nothing succeeding, before the network is taken for offline.
const offlineHosts = 3

// offlineWatch decides, from the first sources, whether the network is
// offline. Until it has decided, network failures are held rather than
// stored: a shutdown is not each source's failure, and must not push
// every source's next try back.
type offlineWatch struct {
	need    int // distinct hosts failing at the network level
	hosts   map[string]bool
	decided bool
	offline bool
	held    []int // indexes of the results held
}

func newOfflineWatch(sources []cache.Source) *offlineWatch {
	all := map[string]bool{}
	for _, s := range sources {
		all[hostKey(s.URL)] = true
	}
	return &offlineWatch{need: min(offlineHosts, len(all)), hosts: map[string]bool{}}
}

// hostKey is the host (and port) of a URL, or the URL itself when it has
// none (a bridge source): what per-host limits and rules count by.
func hostKey(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// Probe says whether the network carries anything again: it asks for up
// to three sources, each on a host of its own, and is done at the first
// answer of any kind (a refusal or a block page is an answer too). It
// stores nothing; a refresh follows when it says yes.
func (r *Refresher) Probe(ctx context.Context, sources []cache.Source) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answered := make(chan bool, offlineHosts)
	seen := map[string]bool{}
	n := 0
	for _, s := range sources {
		h := hostKey(s.URL)
		if seen[h] || s.Kind == cache.KindBridge || n == offlineHosts {
			continue
		}
		seen[h] = true
		n++
		go func() {
			_, err := r.Fetcher.Fetch(ctx, &transport.Request{URL: s.URL, ETag: s.ETag, LastModified: s.LastModified})
			res := Result{OK: err == nil}
			var te *transport.Error
			if errors.As(err, &te) {
				res.Attempts = te.Attempts
			}
			answered <- err == nil || (!networkFailure(res) && ctx.Err() == nil)
		}()
	}
	for range n {
		if <-answered {
			return true
		}
	}
	return false
}

// Progress is sent after each source is done.
type Progress struct {
	Done, Total int
	Result      Result
}

// Refresh refreshes sources and returns one Result per source, in the order
// given. progress, if not nil, is called after each source from one
// goroutine at a time. One source's failure never stops the others.
func (r *Refresher) Refresh(ctx context.Context, sources []cache.Source, progress func(Progress)) []Result {
	results := make([]Result, len(sources))
	if len(sources) == 0 {
		return results
	}
	conc := r.Concurrency
	if conc <= 0 {
		conc = max(8, 4*runtime.GOMAXPROCS(0))
	}
	perHost := r.PerHost
	if perHost <= 0 {
		perHost = DefaultPerHost
	}
	hosts := newHostLimiter(perHost)

	type fetched struct {
		i     int
		res   Result
		store *cache.Fetched
	}
	// Fetching stops at once when the network is found offline.
	fctx, stopAll := context.WithCancelCause(ctx)
	defer stopAll(nil)
	// A small buffer lets fetching and parsing run ahead of the single
	// writer without holding many parsed feeds in memory.
	toStore := make(chan fetched, 4)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, len(sources)) {
		wg.Go(func() {
			for i := range jobs {
				res, f := r.fetch(fctx, sources[i], hosts)
				toStore <- fetched{i, res, f}
			}
		})
	}
	go func() {
		defer close(jobs)
		for i := range sources {
			select {
			case jobs <- i:
			case <-fctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(toStore) }()

	watch := newOfflineWatch(sources)
	done := make([]bool, len(sources))
	n := 0
	report := func(i int) {
		n++
		if progress != nil {
			progress(Progress{Done: n, Total: len(sources), Result: results[i]})
		}
	}
	for f := range toStore {
		done[f.i] = true
		switch {
		case watch.offline && f.store == nil:
			// Cut short by the decision, or failed like the first: not stored.
			f.res.Offline, f.res.Err = true, ErrOffline
			results[f.i] = f.res
			report(f.i)
			continue
		case !watch.decided && f.store == nil && networkFailure(f.res):
			results[f.i] = f.res
			watch.held = append(watch.held, f.i)
			watch.hosts[hostKey(f.res.Source.URL)] = true
			if len(watch.hosts) >= watch.need {
				watch.decided, watch.offline = true, true
				r.log().Info("the network seems to be down: no route answered for the first sources; not trying the rest", "hosts", len(watch.hosts))
				stopAll(ErrOffline)
				for _, h := range watch.held {
					results[h].Offline = true
				}
			}
			report(f.i)
			continue
		case !watch.decided:
			// Something answered: the network works, and what was held
			// were failures of their own.
			watch.decided = true
			for _, h := range watch.held {
				results[h] = r.store(ctx, results[h], nil)
			}
			watch.held = nil
		}
		results[f.i] = r.store(ctx, f.res, f.store)
		report(f.i)
	}
	if !watch.decided && len(watch.held) > 0 {
		// Every source failed at the network level, on fewer hosts than
		// the rule asks: that is offline too.
		for _, h := range watch.held {
			results[h].Offline = true
		}
	}
	for i, ok := range done {
		switch {
		case ok:
		case watch.offline:
			results[i] = Result{Source: sources[i], Err: ErrOffline, Offline: true}
		default: // never started: the refresh was cancelled
			results[i] = Result{Source: sources[i], Err: fmt.Errorf("refresh cancelled: %w", context.Cause(ctx))}
		}
	}
	return results
}

// fetch gets and parses one source. It returns what to store, or nil when
// the source failed (the Result says why).
func (r *Refresher) fetch(ctx context.Context, src cache.Source, hosts *hostLimiter) (Result, *cache.Fetched) {
	start := time.Now()
	res := Result{Source: src}
	release, err := hosts.acquire(ctx, src.URL)
	if err != nil {
		res.Err = fmt.Errorf("refresh cancelled: %w", err)
		return res, nil
	}
	defer release()
	var f *cache.Fetched
	switch src.Kind {
	case cache.KindFeed:
		f = r.fetchFeed(ctx, &res, src.URL, MirrorURLs(src))
	case cache.KindBridge:
		var urls []string
		if r.Expand != nil {
			urls, err = r.Expand(src)
		} else {
			err = errors.New("no bridge is configured")
		}
		if err != nil {
			res.Err = err
			break
		}
		f = r.fetchFeed(ctx, &res, urls[0], append(urls[1:], src.Mirrors...))
	case cache.KindTelegram:
		f = r.fetchChannel(ctx, &res)
	default:
		res.Err = fmt.Errorf("%s sources are not supported by this version of Kabootar", src.Kind)
	}
	res.Elapsed = time.Since(start)
	return res, f
}

// failed fills res from a failed fetch.
func failed(res *Result, err error) {
	res.Err = err
	res.Verdict = transport.VerdictOf(err)
	var te *transport.Error
	if errors.As(err, &te) {
		res.Attempts = te.Attempts
	}
}

// fetchFeed gets a feed from u or one of its alternatives.
func (r *Refresher) fetchFeed(ctx context.Context, res *Result, u string, alts []string) *cache.Fetched {
	src := res.Source
	etag, lastMod := src.ETag, src.LastModified
	if u != src.URL {
		etag, lastMod = "", "" // a bridge's URLs change with the bridges
	}
	resp, err := r.Fetcher.Fetch(ctx, &transport.Request{
		URL:          u,
		Alternatives: alts,
		ETag:         etag,
		LastModified: lastMod,
		Accept:       acceptFeeds,
		// Parsing is the check: a mirror that answers with something other
		// than a feed is not a valid answer, and the next URL is tried.
		Check: func(resp *transport.Response) error {
			feed, err := r.Parser.ParseHTTP(resp.Body, resp.FinalURL, resp.Header.Get("Content-Type"))
			resp.Parsed = feed
			return err
		},
	})
	if err != nil {
		failed(res, err)
		return nil
	}
	res.Route, res.URLUsed, res.Attempts = resp.Route, resp.URL, resp.Attempts
	f := &cache.Fetched{
		ETag:         resp.ETag,
		LastModified: resp.LastModified,
		Route:        resp.Route,
		URL:          resp.URL,
		NotModified:  resp.NotModified,
	}
	// Validators belong to the URL that gave them; a mirror's would make
	// the next request to the main URL wrongly conditional.
	if resp.URL != src.URL {
		f.ETag, f.LastModified = "", ""
	}
	if feed, ok := resp.Parsed.(*Feed); ok && feed != nil {
		f.Name, f.SiteURL, f.Articles = feed.Title, feed.SiteURL, feed.Articles
	}
	res.NotModified = resp.NotModified
	return f
}

// fetchChannel reads a Telegram channel's preview pages: back to Backfill
// posts the first time, then back to the newest post already read.
func (r *Refresher) fetchChannel(ctx context.Context, res *Result) *cache.Fetched {
	src := res.Source
	channel, ok := channelOf(src.URL)
	if !ok {
		res.Err = fmt.Errorf("%s is not a channel address (https://t.me/s/NAME)", src.URL)
		return nil
	}
	// Older pages come from the source's own host (t.me, or what the
	// reader set), mirrors from theirs.
	host := TelegramHost
	if u, err := url.Parse(src.URL); err == nil {
		host = u.Scheme + "://" + u.Host
	}
	seen, _ := strconv.ParseInt(src.Cursor, 10, 64)
	backfill, maxPages := r.Backfill, r.MaxPages
	if backfill <= 0 {
		backfill = 100
	}
	if maxPages <= 0 {
		maxPages = 10
	}
	if seen == 0 {
		maxPages = max(maxPages, backfill/15+2) // a page holds about 20 posts
	}
	var (
		posts  []Post
		title  string
		before int64
		newest = seen
	)
	for page := 0; page < maxPages; page++ {
		req := &transport.Request{
			URL:    ChannelURL(host, channel, before),
			Accept: "text/html",
			Check: func(resp *transport.Response) error {
				p, err := ParseChannelPage(resp.Body, resp.FinalURL)
				resp.Parsed = p
				return err
			},
		}
		req.Alternatives = channelAlternatives(host, channel, src.Mirrors, before)
		resp, err := r.Fetcher.Fetch(ctx, req)
		if err != nil {
			if page == 0 {
				failed(res, err)
				return nil
			}
			// Older pages are a bonus: keep what the newer ones gave.
			r.log().Info("channel backfill stopped", "channel", channel, "err", err)
			break
		}
		if page == 0 {
			res.Route, res.URLUsed, res.Attempts = resp.Route, resp.URL, resp.Attempts
		}
		p := resp.Parsed.(*ChannelPage)
		title = firstNonBlank(title, p.Title)
		oldest := int64(0)
		for _, post := range p.Posts {
			posts = append(posts, post)
			newest = max(newest, post.ID)
			if oldest == 0 || post.ID < oldest {
				oldest = post.ID
			}
		}
		switch {
		case p.Before == 0: // the channel's first post
		case seen > 0 && oldest <= seen: // met what was read before
		case seen == 0 && len(posts) >= backfill:
		default:
			before = p.Before
			continue
		}
		break
	}
	f := &cache.Fetched{Route: res.Route, URL: res.URLUsed, Name: title, SiteURL: TelegramHost + "/" + channel, Cursor: strconv.FormatInt(newest, 10)}
	have := map[int64]bool{}
	for _, post := range posts {
		// Posts already read are stored again: a channel edits its posts
		// (corrections), and the upsert keeps what did not change.
		if have[post.ID] {
			continue
		}
		have[post.ID] = true
		a := r.Parser.postArticle(post)
		if strings.TrimSpace(a.Text) == "" && !a.HasImages {
			continue // nothing Kabootar can show: not an empty article
		}
		f.Articles = append(f.Articles, a)
	}
	return f
}

// store writes one source's outcome; it runs on the single writer.
func (r *Refresher) store(ctx context.Context, res Result, f *cache.Fetched) Result {
	now := r.now()
	if f == nil {
		fail := cache.Failure{Verdict: string(res.Verdict), Error: errText(res.Err), NextDue: now.Add(r.backoff(res.Source.Failures + 1))}
		if err := r.Store.SaveFailure(ctx, res.Source.ID, fail); err != nil {
			res.Err = errors.Join(res.Err, fmt.Errorf("recording the failure: %w", err))
		}
		r.log().Info("refresh failed", "source", res.Source.URL, "verdict", res.Verdict, "err", res.Err)
		return res
	}
	f.NextDue = now.Add(r.interval())
	saved, err := r.Store.SaveFetch(ctx, res.Source.ID, f)
	if err != nil {
		res.Err = fmt.Errorf("saving %s: %w", res.Source.URL, err)
		return res
	}
	res.OK, res.New, res.Updated = true, saved.New, saved.Updated
	r.log().Debug("refreshed", "source", res.Source.URL, "route", res.Route, "new", saved.New, "ms", res.Elapsed.Milliseconds())
	return res
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultInterval
}

// backoff is the wait after the n-th failure in a row: the interval,
// doubled for each further failure, up to MaxBackoff.
func (r *Refresher) backoff(n int) time.Duration {
	limit := r.MaxBackoff
	if limit <= 0 {
		limit = DefaultMaxBackoff
	}
	d := r.interval()
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Refresher) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// hostLimiter bounds the requests in flight to one host.
type hostLimiter struct {
	mu    sync.Mutex
	per   int
	slots map[string]chan struct{}
}

func newHostLimiter(per int) *hostLimiter {
	return &hostLimiter{per: per, slots: map[string]chan struct{}{}}
}

func (h *hostLimiter) acquire(ctx context.Context, rawURL string) (func(), error) {
	host := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host // "" for every bridge source: they share the bridges' hosts
	}
	h.mu.Lock()
	ch, ok := h.slots[host]
	if !ok {
		ch = make(chan struct{}, h.per)
		h.slots[host] = ch
	}
	h.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// VerdictOf is the transport's verdict for a failed fetch, "" when it has
// none: for the window, which speaks to feeds, not to the transport.
func VerdictOf(err error) string { return string(transport.VerdictOf(err)) }

// IsProxyRoute says whether a route is a proxy's, for the window, which
// speaks to feeds, not to the transport.
func IsProxyRoute(route string) bool { return transport.IsProxyRoute(route) }

// The transport's configuration errors, for the window.
var (
	ErrBadProxy = transport.ErrBadProxy
	ErrBadDoH   = transport.ErrBadDoH
)
