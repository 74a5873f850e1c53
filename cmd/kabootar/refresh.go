package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

type verdictJSON struct {
	Route   string `json:"route"`
	URL     string `json:"url"`
	Verdict string `json:"verdict"`
}

type mediaJSON struct {
	Articles int `json:"articles"`
	Images   int `json:"images"`
	Failed   int `json:"failed"`
	FullText int `json:"full_text"`
	Evicted  int `json:"evicted"`
}

type refreshJSON struct {
	ID          int64         `json:"id"`
	URL         string        `json:"url"`
	Name        string        `json:"name"`
	OK          bool          `json:"ok"`
	Route       string        `json:"route"`
	URLUsed     string        `json:"url_used"`
	New         int           `json:"new"`
	Updated     int           `json:"updated"`
	NotModified bool          `json:"not_modified"`
	MS          int64         `json:"ms"`
	Verdicts    []verdictJSON `json:"verdicts"`
	Error       string        `json:"error,omitempty"`
}

func (c *cli) refresh(ctx context.Context, args []string) error {
	fs := c.flags("refresh")
	asJSON := fs.Bool("json", false, "print one JSON object")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("refresh", rest, 0, "no arguments"); err != nil {
		return err
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	// A refresh of many feeds allocates a lot of short-lived memory while
	// parsing; collecting it a quarter as often saves a fifth of the CPU.
	// The memory limit keeps the peak within the 100 MB budget regardless.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(48 << 20))
	var progress func(feeds.Progress)
	if !*asJSON {
		// People see each source as it finishes, not all at the end.
		progress = func(p feeds.Progress) { c.printResult(p.Result) }
	}
	rep, err := a.Refresh(ctx, progress)
	if err != nil {
		return err
	}
	results, media, offline := rep.Results, rep.Media, rep.Offline
	if len(results) == 0 && !*asJSON {
		c.printShare(rep.Share)
		if rep.Share.Articles == 0 {
			fmt.Fprintln(c.stdout, "No sources yet. Add one with: kabootar sources add URL")
		}
		return shareFailed(rep.Share)
	}

	failed, fresh, untried := 0, 0, 0
	out := struct {
		Sources []refreshJSON `json:"sources"`
		// Offline: nothing answered on any route for the first sources,
		// and the rest were not tried (feeds.Offline).
		Offline bool      `json:"offline"`
		Media   mediaJSON `json:"media"`
		// Share: the round in the shared folder (absent when sharing is off).
		Share *shareJSON `json:"share,omitempty"`
		// Tor: Kabootar's own Tor, when this refresh asked for it.
		Tor *torRefreshJSON `json:"tor,omitempty"`
	}{Sources: []refreshJSON{}, Share: toShareJSON(rep.Share), Tor: toTorJSON(rep.Tor)}
	for _, r := range results {
		if !r.OK {
			failed++
		}
		if errors.Is(r.Err, feeds.ErrOffline) {
			untried++
		}
		fresh += r.New
		out.Sources = append(out.Sources, toRefreshJSON(r))
	}
	out.Offline = offline
	out.Media = mediaJSON{Articles: media.Articles, Images: media.Images, Failed: media.Failed, FullText: media.FullText, Evicted: media.Evicted}
	if *asJSON {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "%d sources refreshed, %d failed, %d new articles.\n", len(results)-failed, failed, fresh)
		if media.Images+media.Failed+media.FullText > 0 {
			fmt.Fprintf(c.stdout, "Saved for offline reading: %d images (%d could not be fetched), %d full texts.\n", media.Images, media.Failed, media.FullText)
		}
		if offline {
			if untried > 0 {
				fmt.Fprintf(c.stdout, "%d sources were not tried.\n", untried)
			}
			fmt.Fprintln(c.stdout, "Nothing answered on any route: you seem to be offline, or everything is cut.\n"+
				"What was saved is still here to read (kabootar articles). If you have a proxy, add it: kabootar transport set --proxy URL.")
		}
		c.printShare(rep.Share)
		c.printTor(rep.Tor)
	}
	if failed == 0 {
		if err := shareFailed(rep.Share); err != nil {
			return err
		}
	}
	if failed > 0 {
		msg := ""
		if !*asJSON {
			msg = "Some sources failed; what was cached before is still there to read."
		}
		return &failedError{msg}
	}
	return nil
}

func toRefreshJSON(r feeds.Result) refreshJSON {
	j := refreshJSON{
		ID: r.Source.ID, URL: r.Source.URL, Name: r.Source.Name, OK: r.OK, Route: r.Route, URLUsed: r.URLUsed,
		New: r.New, Updated: r.Updated, NotModified: r.NotModified, MS: r.Elapsed.Milliseconds(),
		Verdicts: []verdictJSON{},
	}
	for _, a := range r.Attempts {
		if a.Verdict != "" {
			j.Verdicts = append(j.Verdicts, verdictJSON{Route: a.Route, URL: a.URL, Verdict: string(a.Verdict)})
		}
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

func (c *cli) printResult(r feeds.Result) {
	if errors.Is(r.Err, feeds.ErrOffline) {
		return // not tried: counted once at the end, not a line each
	}
	name := cmp.Or(r.Source.Name, r.Source.URL)
	switch {
	case !r.OK:
		fmt.Fprintf(c.stdout, "✗ %d %s: %v\n", r.Source.ID, name, r.Err)
		// The technical account, attempt by attempt, for those who ask.
		var te *transport.Error
		if c.verbose && errors.As(r.Err, &te) {
			fmt.Fprintln(c.stderr, te.Detail())
		}
	case r.NotModified:
		fmt.Fprintf(c.stdout, "✓ %d %s: unchanged (%s, %d ms)\n", r.Source.ID, name, r.Route, r.Elapsed.Milliseconds())
	default:
		via := r.Route
		if r.URLUsed != r.Source.URL {
			via += " via " + r.URLUsed
		}
		fmt.Fprintf(c.stdout, "✓ %d %s: %d new (%s, %d ms)\n", r.Source.ID, name, r.New, via, r.Elapsed.Milliseconds())
	}
}
