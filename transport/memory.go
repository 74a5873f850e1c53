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
	hosts map[string]map[string]*entry // host -> route+" "+url -> record
}

type entry struct {
	RouteRecord
	saved time.Time // when last written to Memory
}

func newBook(mem Memory, now func() time.Time) *book {
	return &book{mem: mem, now: now, hosts: map[string]map[string]*entry{}}
}

func recordKey(route, url string) string { return route + " " + url }

// records returns copies of the host's fresh records.
func (b *book) records(ctx context.Context, host string) []RouteRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []RouteRecord
	for _, e := range b.load(ctx, host) {
		if b.now().Sub(e.At) < memoryTTL {
			out = append(out, e.RouteRecord)
		}
	}
	return out
}

// load returns the host's entries, reading them from Memory the first
// time. b.mu is held.
func (b *book) load(ctx context.Context, host string) map[string]*entry {
	if recs, ok := b.hosts[host]; ok {
		return recs
	}
	recs := map[string]*entry{}
	if b.mem != nil {
		loaded, _ := b.mem.LoadRoutes(ctx, host) // memory is a hint: without it, every route is tried
		for _, r := range loaded {
			recs[recordKey(r.Route, r.URL)] = &entry{RouteRecord: r, saved: r.At}
		}
	}
	b.hosts[host] = recs
	return recs
}

// note remembers how an attempt went, writing it through to Memory when
// it says something new.
func (b *book) note(ctx context.Context, host string, a Attempt) {
	now := b.now()
	r := RouteRecord{Host: host, Route: a.Route, URL: a.URL, OK: a.Verdict == "", Verdict: a.Verdict, Elapsed: a.Elapsed, At: now}
	b.mu.Lock()
	recs := b.load(ctx, host)
	k := recordKey(a.Route, a.URL)
	old, had := recs[k]
	save := b.mem != nil && (!had || old.OK != r.OK || old.Verdict != r.Verdict || now.Sub(old.saved) >= rewriteAfter)
	e := &entry{RouteRecord: r}
	if had {
		e.saved = old.saved
	}
	if save {
		e.saved = now
	}
	recs[k] = e
	b.mu.Unlock()
	if save {
		b.mem.SaveRoute(context.WithoutCancel(ctx), r) // a lost record costs a slower start, nothing more
	}
}
