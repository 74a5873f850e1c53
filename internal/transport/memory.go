package transport

import (
	"context"
	"sync"
	"time"
)

// RouteRecord is what is remembered of one route and URL for a host.
type RouteRecord struct {
	Host    string
	Route   string
	URL     string
	OK      bool
	Verdict Verdict
	Elapsed time.Duration
	At      time.Time
}

// Memory keeps route records across runs (the cache's routes table).
type Memory interface {
	LoadRoutes(ctx context.Context, host string) ([]RouteRecord, error)
	SaveRoute(ctx context.Context, r RouteRecord) error
}

// How long route memory counts.
const (
	// memoryTTL: records older than this are forgotten.
	memoryTTL = 7 * 24 * time.Hour
	// recentFailure: a route that failed on a host this recently is tried
	// last, not first, and not in the first wave.
	recentFailure = 2 * time.Minute
	// rewriteAfter: an unchanged record is written again only this often,
	// so that a warm refresh of a thousand feeds writes next to nothing.
	rewriteAfter = time.Hour
)

// book is the Client's view of route memory: loaded per host on first use,
// written through on change.
type book struct {
	mem   Memory
	now   func() time.Time
	mu    sync.Mutex
	hosts map[string]*hostBook
}

// hostBook is what is known of one host: a record per route and URL, and
// the latest success (on any of the host's URLs: a route that works for one
// feed of a site most likely works for the others).
type hostBook struct {
	recs map[string]*entry // route+" "+url
	best *entry
}

type entry struct {
	RouteRecord
	saved time.Time // when last written to Memory
}

func newBook(mem Memory, now func() time.Time) *book {
	return &book{mem: mem, now: now, hosts: map[string]*hostBook{}}
}

func recordKey(route, url string) string { return route + " " + url }

// winner is the host's latest fresh success, if any.
func (b *book) winner(ctx context.Context, host string) (RouteRecord, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hb := b.load(ctx, host)
	if hb.best == nil || b.now().Sub(hb.best.At) >= memoryTTL {
		return RouteRecord{}, false
	}
	return hb.best.RouteRecord, true
}

// failedRecently says whether the route failed for url moments ago.
func (b *book) failedRecently(ctx context.Context, host, route, url string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.load(ctx, host).recs[recordKey(route, url)]
	return ok && !e.OK && b.now().Sub(e.At) < recentFailure
}

// failedBefore says whether the host's latest record of route (on any of
// its URLs) is a failure still remembered.
func (b *book) failedBefore(ctx context.Context, host, route string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	var latest *entry
	for _, e := range b.load(ctx, host).recs {
		if e.Route == route && (latest == nil || e.At.After(latest.At)) {
			latest = e
		}
	}
	return latest != nil && !latest.OK && b.now().Sub(latest.At) < memoryTTL
}

// load returns the host's book, reading it from Memory the first time.
// b.mu is held.
func (b *book) load(ctx context.Context, host string) *hostBook {
	if hb, ok := b.hosts[host]; ok {
		return hb
	}
	hb := &hostBook{recs: map[string]*entry{}}
	if b.mem != nil {
		loaded, _ := b.mem.LoadRoutes(ctx, host) // memory is a hint: without it, every route is tried
		for _, r := range loaded {
			e := &entry{RouteRecord: r, saved: r.At}
			hb.recs[recordKey(r.Route, r.URL)] = e
			if r.OK && (hb.best == nil || r.At.After(hb.best.At)) {
				hb.best = e
			}
		}
	}
	b.hosts[host] = hb
	return hb
}

// note remembers how an attempt went, writing it through to Memory when
// it says something new.
func (b *book) note(ctx context.Context, host string, a Attempt) {
	now := b.now()
	r := RouteRecord{Host: host, Route: a.Route, URL: a.URL, OK: a.Verdict == "", Verdict: a.Verdict, Elapsed: a.Elapsed, At: now}
	b.mu.Lock()
	hb := b.load(ctx, host)
	k := recordKey(a.Route, a.URL)
	old, had := hb.recs[k]
	var save bool
	if r.OK {
		// One success per host says which route works; a thousand feeds of
		// one site need not write a thousand records.
		save = hb.best == nil || hb.best.Route != r.Route || now.Sub(hb.best.saved) >= rewriteAfter
	} else {
		save = !had || old.OK || old.Verdict != r.Verdict || now.Sub(old.saved) >= rewriteAfter
	}
	save = save && b.mem != nil
	e := &entry{RouteRecord: r}
	switch {
	case had:
		e.saved = old.saved
	case r.OK && hb.best != nil:
		e.saved = hb.best.saved
	}
	if save {
		e.saved = now
	}
	hb.recs[k] = e
	if r.OK {
		hb.best = e
	} else if hb.best != nil && hb.best.Route == r.Route && hb.best.URL == r.URL {
		hb.best = nil // the winner just failed: plan afresh
	}
	b.mu.Unlock()
	if save {
		b.mem.SaveRoute(context.WithoutCancel(ctx), r) // a lost record costs a slower start, nothing more
	}
}
