package app

import (
	"context"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
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
	client, n, err := a.clientAndNetwork(ctx)
	if err != nil {
		return Report{}, err
	}
	defer client.Close()
	ref, err := a.refresher(ctx, client, n)
	if err != nil {
		return Report{}, err
	}
	off := &feeds.Offliner{Fetcher: client, Store: a.store, Parser: ref.Parser, Log: a.log}
	results, media, mediaErr := ref.RefreshWithMedia(ctx, off, sources, progress)
	if mediaErr != nil {
		a.log.Warn("storing media for offline reading failed", "err", mediaErr)
	}
	rep := Report{Results: results, Media: media, MediaErr: mediaErr, Offline: feeds.Offline(results)}
	// After the fetch, so that the bundle sent holds what it brought; and
	// above all when it found the network cut.
	rep.Share = a.ShareRound(ctx, true)
	return rep, nil
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
