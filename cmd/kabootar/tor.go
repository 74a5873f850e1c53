package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/tor"
)

// torCmd shows, starts and stops Kabootar's own Tor.
func (c *cli) torCmd(ctx context.Context, args []string) error {
	fs := c.flags("tor")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("use 'tor status [--json]', 'tor start' or 'tor stop'")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	switch rest[0] {
	case "status":
		return c.torStatus(ctx, a, *asJSON)
	case "start":
		return c.torStart(ctx, a)
	case "stop":
		other, err := a.OtherTor(ctx)
		if errors.Is(err, tor.ErrNotRunning) {
			fmt.Fprintln(c.stdout, "No Tor of Kabootar's is running.")
			return nil
		}
		if err != nil {
			return err
		}
		if err := a.StopOtherTor(ctx); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Stopped Kabootar's Tor (process %d).\n", other.PID)
		return nil
	}
	return usagef("unknown tor command %q", rest[0])
}

type torJSON struct {
	Installed  bool     `json:"installed"`
	Transports []string `json:"transports"`
	Mode       string   `json:"mode"`
	Bridges    []string `json:"bridges"`
	Running    bool     `json:"running"`
	PID        int      `json:"pid,omitempty"`
	Socks      string   `json:"socks,omitempty"`
	Bootstrap  int      `json:"bootstrap"`
	Phase      string   `json:"phase,omitempty"`
	Reused     string   `json:"reused,omitempty"`
	Error      string   `json:"error,omitempty"`
}

func transportNames(t tor.Transports) []string {
	out := []string{}
	for name, path := range map[string]string{"obfs4": t.Obfs4, "snowflake": t.Snowflake, "webtunnel": t.Webtunnel} {
		if path != "" {
			out = append(out, name)
		}
	}
	return out
}

func (c *cli) torStatus(ctx context.Context, a *app.App, asJSON bool) error {
	st := a.TorStatus(ctx)
	out := torJSON{Installed: st.Installed, Transports: transportNames(st.Transports), Mode: st.Mode, Bridges: bridgeNames(st.Bridges)}
	if other, err := a.OtherTor(ctx); err == nil {
		out.Running, out.PID, out.Socks, out.Bootstrap, out.Phase = true, other.PID, other.Socks, other.Progress.Percent, other.Progress.Summary
	} else if !errors.Is(err, tor.ErrNotRunning) {
		out.Error = err.Error()
	}
	if r := a.ReaderTor(ctx); r != "" {
		out.Reused = r
	}
	if asJSON {
		return c.printJSON(out)
	}
	if !out.Installed {
		fmt.Fprintf(c.stdout, "Tor is not installed: %s\n", tor.Install)
		return nil
	}
	fmt.Fprintf(c.stdout, "Tor: installed; transports: %s\n", listOr(out.Transports, "none (only plain Tor)"))
	fmt.Fprintf(c.stdout, "mode: %s; bridges: %s\n", out.Mode, listOr(out.Bridges, "none"))
	switch {
	case out.Running:
		fmt.Fprintf(c.stdout, "running: process %d, bootstrapped %d%% (%s), SOCKS %s\n", out.PID, out.Bootstrap, out.Phase, out.Socks)
	case out.Reused != "":
		fmt.Fprintf(c.stdout, "a Tor you run answers at %s: Kabootar uses it instead of starting its own\n", out.Reused)
	default:
		fmt.Fprintln(c.stdout, "not running (Kabootar starts it when everything else fails, or: kabootar tor start)")
	}
	return nil
}

// bridgeNames shortens pasted lines to their transport and address.
func bridgeNames(list []string) []string {
	out := []string{}
	for _, b := range list {
		if f := strings.Fields(b); len(f) >= 2 {
			b = f[0] + " " + f[1]
		}
		out = append(out, b)
	}
	return out
}

// torStart runs Kabootar's Tor until interrupted: to see whether it gets
// through, and for as long as the reader wants it.
func (c *cli) torStart(ctx context.Context, a *app.App) error {
	if err := a.StartTor(ctx); err != nil {
		return err
	}
	if r := a.ReaderTor(ctx); r != "" {
		fmt.Fprintf(c.stdout, "A Tor you run answers at %s; Kabootar uses it, and starts none of its own.\n", r)
		return nil
	}
	last := -1
	for {
		st := a.TorStatus(ctx)
		if st.Progress.Percent != last {
			last = st.Progress.Percent
			fmt.Fprintf(c.stdout, "Tor: %d%% %s\n", last, st.Progress.Summary)
		}
		if !st.Running || st.Took > 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil // interrupted: Close stops Tor
		case <-time.After(250 * time.Millisecond):
		}
	}
	st := a.TorStatus(ctx)
	if st.Err != nil {
		return fmt.Errorf("tor did not get through: %w", st.Err)
	}
	fmt.Fprintf(c.stdout, "Tor is ready (SOCKS %s, after %.1f s). It runs as long as this command: press Ctrl+C to stop it.\n",
		st.Socks, st.Took.Seconds())
	<-ctx.Done()
	return nil
}

type torRefreshJSON struct {
	Started   bool   `json:"started"`
	Reused    string `json:"reused,omitempty"`
	PID       int    `json:"pid,omitempty"`
	Bootstrap int    `json:"bootstrap"`
	Phase     string `json:"phase,omitempty"`
	MS        int64  `json:"bootstrap_ms,omitempty"`
	Retried   int    `json:"retried"`
	Verdict   string `json:"verdict,omitempty"`
	Error     string `json:"error,omitempty"`
}

func toTorJSON(r *app.TorReport) *torRefreshJSON {
	if r == nil {
		return nil
	}
	j := &torRefreshJSON{Started: r.Started, Reused: r.Reused, PID: r.PID, Bootstrap: r.Progress, Phase: r.Phase,
		MS: r.Took.Milliseconds(), Retried: r.Retried, Verdict: app.TorVerdict(r.Err)}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

// printTor says what Kabootar's Tor did for the refresh.
func (c *cli) printTor(r *app.TorReport) {
	switch {
	case r == nil:
	case r.Reused != "" && r.Err == nil:
		fmt.Fprintf(c.stdout, "Tried again through your Tor at %s: %d sources.\n", r.Reused, r.Retried)
	case r.Err != nil:
		fmt.Fprintf(c.stdout, "Kabootar's Tor did not help this time (%s): %v\n", app.TorVerdict(r.Err), r.Err)
	case r.Retried > 0:
		fmt.Fprintf(c.stdout, "Started Kabootar's Tor (ready in %.1f s) and tried %d sources again through it.\n", r.Took.Seconds(), r.Retried)
	}
}
