package transport

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Diagnosis is how one route fared for a URL: an attempt, with its timings,
// and the status and size of the answer when there was one.
type Diagnosis struct {
	Attempt
	Status int
	Bytes  int
}

// Diagnose tries rawURL on every route at once, each to its end (no
// racing, no memory), so that the user sees what works and what a censor
// does to each: like an OONI measurement, to paste into a bug report.
func (c *Client) Diagnose(ctx context.Context, rawURL string) []Diagnosis {
	routes := c.activeRoutes(ctx)
	if !strings.HasPrefix(rawURL, "https://") {
		// The tactics shape a TLS hello; plain http has none.
		routes = slices.DeleteFunc(routes, func(r *route) bool { return r.kind == kindTactic || r.kind == kindFront || r.kind == kindECH })
	}
	// A front carries its own site only.
	host := hostOf(rawURL)
	routes = slices.DeleteFunc(routes, func(r *route) bool { return r.front != "" && !r.usableFor(host) })
	out := make([]Diagnosis, len(routes))
	var wg sync.WaitGroup
	for i, r := range routes {
		wg.Go(func() {
			// Bounded as a fetch is: a route that has connected nowhere
			// within GiveUp (resolvers or proxies that do not answer) is
			// given up, so the whole diagnosis ends within seconds.
			actx, cancel := context.WithCancelCause(ctx)
			defer cancel(nil)
			connected := make(chan struct{}, 1)
			giveUp := time.AfterFunc(c.opts.GiveUp, func() {
				select {
				case <-connected:
				default:
					cancel(errGaveUp)
				}
			})
			defer giveUp.Stop()
			resp, a := c.attempt(withSignals(actx, nil, connected), r, rawURL, &Request{URL: rawURL})
			out[i] = Diagnosis{Attempt: a}
			if resp != nil {
				out[i].Status, out[i].Bytes = resp.Status, len(resp.Body)
			}
		})
	}
	wg.Wait()
	if len(routes) == 0 {
		_, err := c.Fetch(ctx, &Request{URL: rawURL})
		var te *Error
		if asError(err, &te) {
			for _, a := range te.Attempts {
				out = append(out, Diagnosis{Attempt: a})
			}
		}
	}
	return out
}
