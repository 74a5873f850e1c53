package transport

import (
	"context"
	"sync"
	"time"
)

// Timings are the phases of one attempt, from its start: name resolution
// (by the system or DoH; none through a proxy), connection, TLS, and the
// first byte of the answer.
type Timings struct {
	DNS, Connect, TLS, FirstByte time.Duration
}

// timings collects an attempt's Timings from the dialers and the HTTP
// trace, which run on other goroutines.
type timings struct {
	mu       sync.Mutex
	start    time.Time
	dnsBegin time.Time
	t        Timings
}

type timingsKey struct{}

func withTimings(ctx context.Context, t *timings) context.Context {
	return context.WithValue(ctx, timingsKey{}, t)
}

// timingsFrom returns the attempt's timings; nil (which records nothing)
// outside an attempt.
func timingsFrom(ctx context.Context) *timings {
	t, _ := ctx.Value(timingsKey{}).(*timings)
	return t
}

func (t *timings) mark(f func(since time.Duration)) {
	if t == nil {
		return
	}
	t.mu.Lock()
	f(time.Since(t.start))
	t.mu.Unlock()
}

func (t *timings) dnsStart()  { t.mark(func(time.Duration) { t.dnsBegin = time.Now() }) }
func (t *timings) dnsDone()   { t.mark(func(d time.Duration) { t.t.DNS = d }) }
func (t *timings) connected() { t.mark(func(d time.Duration) { t.t.Connect = d }) }
func (t *timings) tlsDone()   { t.mark(func(d time.Duration) { t.t.TLS = d }) }
func (t *timings) firstByte() { t.mark(func(d time.Duration) { t.t.FirstByte = d }) }

func (t *timings) get() Timings {
	if t == nil {
		return Timings{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.t
}
