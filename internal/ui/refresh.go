package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

func (w *Window) refreshOrCancel() {
	if w.refreshing != nil {
		w.refreshing()
		return
	}
	w.startRefresh()
}

// startRefresh refreshes in the background, with progress; on the Fyne
// thread.
func (w *Window) startRefresh() {
	if w.deps.Actions == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.refreshing = cancel
	w.lastRefresh = time.Now()
	w.refreshBtn.SetText(lang.L("Cancel"))
	w.progress.SetValue(0)
	w.progress.Show()
	// While the refresh runs, a Tor that bootstraps for it says how far.
	w.bg.Go(func() { w.watchTor(ctx) })
	w.bg.Go(func() {
		rep, err := w.deps.Actions.Refresh(ctx, func(p feeds.Progress) {
			w.do(func() {
				w.progress.Max = float64(p.Total)
				w.progress.SetValue(float64(p.Done))
				if p.Result.Offline {
					// Said at once: the rest is not tried.
					w.setBadge(badgeFor([]feeds.Result{p.Result}, w.lastOK(), w.persian))
				} else {
					w.setBadge(lang.L("Refreshing {{.Done}} of {{.Total}}", map[string]string{"Done": numberText(p.Done, w.persian), "Total": numberText(p.Total, w.persian)}), "")
				}
				// With nothing to read yet (a first run), the news shows as
				// each source brings it, not when the slowest is done. A
				// list being read is left alone until the end.
				if p.Result.New > 0 && len(w.articles) == 0 && !w.loading {
					w.reloadSources()
					w.reloadArticles()
				}
			})
		})
		results := rep.Results
		cancel() // ends watchTor
		w.do(func() {
			w.refreshing = nil
			w.refreshBtn.SetText(lang.L("Refresh"))
			w.progress.Hide()
			if err != nil {
				// A bad setting or an unreadable cache: said, not silent.
				w.setBadge(lang.L("The refresh could not start"), "")
				w.showError(err)
				return
			}
			w.setBadge(badgeFor(results, w.lastOK(), w.persian))
			w.offline = rep.Offline
			if nothingEver(results) && (w.firstRefresh || !w.toldNothing) {
				w.toldNothing = true
				w.nothingCame(results)
			}
			w.firstRefresh = false
			w.announce(results)
			w.reloadSources()
			w.reloadArticles()
		})
		w.shareArrived(rep.Share)
	})
}

// nothingEver: no source came through, now or ever before.
func nothingEver(results []feeds.Result) bool {
	for _, r := range results {
		if r.OK || !r.Source.LastOK.IsZero() {
			return false
		}
	}
	return len(results) > 0
}

// lastOK is when a source last refreshed, for the offline badge.
func (w *Window) lastOK() time.Time {
	var t time.Time
	for _, s := range w.sources {
		if s.LastOK.After(t) {
			t = s.LastOK
		}
	}
	return t
}

// badgeFor says how the news came: directly, through a proxy or mirror,
// or not at all; detail is the proxy's address, shown apart (a Latin
// address inside a Persian sentence would be misordered).
func badgeFor(results []feeds.Result, lastOK time.Time, persian bool) (text, detail string) {
	if len(results) == 0 {
		return "", ""
	}
	ok, proxy, mirror, viaTor := 0, "", false, false
	for _, r := range results {
		if !r.OK {
			continue
		}
		ok++
		if feeds.IsProxyRoute(r.Route) {
			proxy = r.Route
		}
		viaTor = viaTor || r.Route == transport.RouteTor
		if r.URLUsed != "" && r.URLUsed != r.Source.URL {
			mirror = true
		}
	}
	switch {
	case ok == 0 && !lastOK.IsZero():
		return lang.L("Offline — showing saved news from {{.Time}}", map[string]string{"Time": fullDate(lastOK.Local(), persian)}), ""
	case ok == 0:
		return lang.L("Offline — showing saved news"), ""
	case viaTor:
		return lang.L("Via Tor"), ""
	case proxy != "":
		return lang.L("Via proxy"), proxy
	case mirror:
		return lang.L("Via mirror"), ""
	}
	return lang.L("Direct"), ""
}

// setBadge says how the news came, the address (if any) in a label of its
// own, on the side the language reads from.
func (w *Window) setBadge(text, detail string) {
	w.badge.SetText(visualRTL(text))
	w.badgeDetail.SetText(detail)
	box := w.badgeBox
	if alignFor(text) == fyne.TextAlignTrailing {
		box.Objects = []fyne.CanvasObject{w.badgeDetail, w.badge}
	} else {
		box.Objects = []fyne.CanvasObject{w.badge, w.badgeDetail}
	}
	box.Refresh()
}

// schedule refreshes every interval, checked each tick so that a new
// interval in the settings counts at once, never while a refresh runs;
// while offline it probes each tick instead, and refreshes once the
// network answers.
func (w *Window) schedule(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.do(func() {
				switch {
				case w.refreshing != nil:
				case w.offline && w.deps.Actions != nil && !w.probing:
					// Offline: a cheap probe each tick, and the news as
					// soon as the network is back.
					w.probing = true
					w.bg.Go(func() {
						pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
						back := w.deps.Actions.Probe(pctx)
						cancel()
						w.do(func() {
							w.probing = false
							if back && w.refreshing == nil {
								w.startRefresh()
							}
						})
					})
				case w.interval > 0 && time.Since(w.lastRefresh) >= w.interval:
					w.startRefresh()
				}
			})
		}
	}
}
