package app

import (
	"context"
	"errors"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// Report is what one refresh did.
type Report struct {
	Results []feeds.Result
	// Media is what the offline pass saved (images, full texts).
	Media feeds.OfflineStats
	// MediaErr is the pass's failure to store (the cache failed); the
	// feeds' results stand.
	MediaErr error
	// Offline: nothing answered on any route for the first sources, and
	// the rest were not tried (feeds.Offline).
	Offline bool
	// Share is what the round in the shared folder did (when sharing is
	// on): bundles read, and the one written.
	Share ShareReport
	// Tor is what Kabootar's Tor did for this refresh (nil: not asked).
	Tor *TorReport
}

// TorReport is Kabootar's Tor in one refresh: started (or the reader's
// own used), how far it bootstrapped, and why not further.
type TorReport struct {
	Started  bool
	Reused   string
	PID      int
	Progress int // percent
	Phase    string
	Took     time.Duration // until bootstrapped
	Err      error
	// Retried is how many failed sources were tried again through it.
	Retried int
}

// Failed is how many sources failed.
func (r Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if !res.OK {
			n++
		}
	}
	return n
}

// refresher is a Refresher over client with n's bridges and the
// settings' backfill.
func (a *App) refresher(ctx context.Context, client feeds.Fetcher, n Network) (*feeds.Refresher, error) {
	s, err := LoadStorage(ctx, a.store)
	if err != nil {
		return nil, err
	}
	bases, tpl := n.Bridges, n.BridgeTemplates()
	return &feeds.Refresher{Fetcher: client, Store: a.store, Parser: feeds.NewParser(), Log: a.log, Backfill: s.Backfill,
		Expand: func(src cache.Source) ([]string, error) { return feeds.ExpandBridge(bases, tpl, src.URL) }}, nil
}

// Refresh fetches every source, with the offline pass (images, full
// text) beside it, reporting each source as it finishes: the one refresh
// of the command line and the window. An error means it could not start
// (a bad setting, an unreadable cache); a source's failure is in its
// result.
func (a *App) Refresh(ctx context.Context, progress func(feeds.Progress)) (Report, error) {
	sources, err := a.store.Sources(ctx)
	if err != nil {
		return Report{}, err
	}
	if len(sources) == 0 {
		// Nothing to fetch; the shared folder may still bring news.
		return Report{Share: a.ShareRound(ctx, false)}, nil
	}
	rep, n, err := a.refreshSources(ctx, sources, progress)
	if err != nil {
		return rep, err
	}
	var torRep *TorReport
	if n.Tor == TorAlways && n.Mode != transport.ModeDirect {
		torRep = &TorReport{} // started with the client (clientAndNetwork)
	}
	// Everything else failed: Kabootar's Tor (not waited for when the
	// network is offline: the shutdown bound holds).
	if n.Tor != TorOff && n.Mode != transport.ModeDirect && rep.Failed() == len(rep.Results) && !usedTor(rep.Results) {
		if torRep == nil {
			torRep = &TorReport{}
		}
		a.retryThroughTor(ctx, &rep, torRep, progress)
	}
	if torRep != nil {
		st := a.TorStatus(ctx)
		torRep.Started, torRep.Reused, torRep.PID = st.Running || st.Took > 0, st.Reused, st.PID
		torRep.Progress, torRep.Phase, torRep.Took = st.Progress.Percent, st.Progress.Summary, st.Took
		if torRep.Err == nil {
			torRep.Err = st.Err
		}
	}
	rep.Tor = torRep
	// After the fetch, so that the bundle sent holds what it brought; and
	// above all when it found the network cut.
	rep.Share = a.ShareRound(ctx, true)
	return rep, nil
}

// refreshSources fetches sources over the routes the settings allow now,
// and gives the network settings it read.
func (a *App) refreshSources(ctx context.Context, sources []cache.Source, progress func(feeds.Progress)) (Report, Network, error) {
	client, n, err := a.clientAndNetwork(ctx)
	if err != nil {
		return Report{}, n, err
	}
	defer client.Close()
	ref, err := a.refresher(ctx, client, n)
	if err != nil {
		return Report{}, n, err
	}
	off := &feeds.Offliner{Fetcher: client, Store: a.store, Parser: ref.Parser, Log: a.log}
	results, media, mediaErr := ref.RefreshWithMedia(ctx, off, sources, progress)
	if mediaErr != nil {
		a.log.Warn("storing media for offline reading failed", "err", mediaErr)
	}
	return Report{Results: results, Media: media, MediaErr: mediaErr, Offline: feeds.Offline(results)}, n, nil
}

// retryThroughTor starts Kabootar's Tor, waits for its bootstrap (not
// when the network is offline), and tries the failed sources again
// through it.
func (a *App) retryThroughTor(ctx context.Context, rep *Report, tr *TorReport, progress func(feeds.Progress)) {
	if err := a.StartTor(ctx); err != nil {
		tr.Err = err
		return
	}
	// Offline: nothing answered, so Tor's bridges would not either; the
	// refresh ends within the shutdown bound, and a window keeps the Tor
	// bootstrapping and uses it (its probe) once it is ready.
	if rep.Offline {
		tr.Err = errOfflineTor
		return
	}
	if _, err := a.WaitTor(ctx, torWait); err != nil {
		tr.Err = err
		return
	}
	var failed []cache.Source
	for _, r := range rep.Results {
		if !r.OK {
			failed = append(failed, r.Source)
		}
	}
	again, _, err := a.refreshSources(ctx, failed, progress)
	if err != nil {
		tr.Err = err
		return
	}
	tr.Retried = len(failed)
	byID := map[int64]feeds.Result{}
	for _, r := range again.Results {
		byID[r.Source.ID] = r
	}
	for i, r := range rep.Results {
		if n, ok := byID[r.Source.ID]; ok {
			rep.Results[i] = n
		}
	}
	rep.Media.Images += again.Media.Images
	rep.Media.Failed += again.Media.Failed
	rep.Media.FullText += again.Media.FullText
	rep.Media.Articles += again.Media.Articles
	rep.Offline = feeds.Offline(rep.Results)
	if again.MediaErr != nil {
		rep.MediaErr = again.MediaErr
	}
}

// errOfflineTor is a refresh that found the network offline: it does
// not wait for the Tor it started.
var errOfflineTor = errors.New("the network is offline: Kabootar's Tor was started and goes on bootstrapping in the background")

// usedTor says whether a result came or was tried through Kabootar's Tor.
func usedTor(results []feeds.Result) bool {
	for _, r := range results {
		for _, at := range r.Attempts {
			if at.Route == transport.RouteTor {
				return true
			}
		}
	}
	return false
}

// Probe says whether the network answers again, after a refresh found it
// offline: a few sources asked, nothing stored.
func (a *App) Probe(ctx context.Context) bool {
	client, err := a.Client(ctx)
	if err != nil {
		return false
	}
	defer client.Close()
	srcs, err := a.store.Sources(ctx)
	if err != nil {
		return false
	}
	return (&feeds.Refresher{Fetcher: client}).Probe(ctx, srcs)
}

// FullText fetches an article's page and keeps its full text.
func (a *App) FullText(ctx context.Context, articleID int64, page string) error {
	client, err := a.Client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	off := &feeds.Offliner{Fetcher: client, Store: a.store, Parser: feeds.NewParser(), Log: a.log}
	return off.FullText(ctx, articleID, page)
}
