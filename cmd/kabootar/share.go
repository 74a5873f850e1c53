package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/syncthing"
)

// share sets up the shared folder: signed bundles out after each
// refresh, friends' bundles in.
func (c *cli) share(ctx context.Context, args []string) error {
	fs := c.flags("share")
	asJSON := fs.Bool("json", false, "print JSON")
	keepDays := fs.Int("keep-days", 0, "with set: remove your own bundles older than this many days (default 30)")
	maxMB := fs.Int("max-mb", 0, "with set: and the oldest while yours take more than this (default 200)")
	home := fs.String("syncthing-home", "", "with syncthing: Syncthing's configuration folder (default: found)")
	address := fs.String("address", "", "with syncthing add: the friend's address, tcp://IP:22000 (default: found on the local network)")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("share needs set DIR, show, off or syncthing")
	}
	if (*keepDays != 0 || *maxMB != 0) && rest[0] != "set" {
		return usagef("--keep-days and --max-mb are for share set")
	}
	if *keepDays < 0 || *maxMB < 0 {
		return usagef("--keep-days and --max-mb must be 1 or more")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var ie *app.InputError
	switch rest[0] {
	case "set":
		if err := needArgs("share set", rest[1:], 1, "a folder"); err != nil {
			return err
		}
		s, err := a.SetShare(ctx, rest[1], *keepDays, *maxMB)
		if errors.As(err, &ie) {
			return usagef("%v", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Sharing in %s: after each refresh your new articles go there, signed; bundles of keys you trust are read from there.\n"+
			"Your own bundles there are kept %d days, %d MB at most.\n", s.Dir, s.KeepDays, s.MaxMB)
		return nil
	case "off":
		if err := needArgs("share off", rest[1:], 0, "no arguments"); err != nil {
			return err
		}
		if _, err := a.SetShare(ctx, "", 0, 0); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, "Sharing is off. The folder and what is in it were left as they are.")
		return nil
	case "show":
		if err := needArgs("share show", rest[1:], 0, "no arguments"); err != nil {
			return err
		}
		return c.shareShow(ctx, a, *asJSON)
	case "syncthing":
		return c.shareSyncthing(ctx, a, rest[1:], *home, *address, *asJSON)
	}
	return usagef("unknown share command %q", rest[0])
}

type shareFileJSON struct {
	File        string `json:"file"`
	State       string `json:"state"`
	Fingerprint string `json:"fingerprint,omitempty"`
	Name        string `json:"name,omitempty"`
	Articles    int    `json:"articles"`
	Detail      string `json:"detail,omitempty"`
	Seen        string `json:"seen"`
}

func (c *cli) shareShow(ctx context.Context, a *app.App, asJSON bool) error {
	st, err := a.ShareStatus(ctx)
	if err != nil {
		return err
	}
	files := []shareFileJSON{}
	for _, f := range st.Files {
		j := shareFileJSON{File: f.Path, State: f.State, Articles: f.Articles, Detail: f.Detail, Seen: f.At.UTC().Format("2006-01-02T15:04:05Z")}
		if f.Signer != nil {
			j.Fingerprint = f.Signer.Fingerprint()
			j.Name, _, _ = a.Store().TrustedName(ctx, f.Signer)
		}
		files = append(files, j)
	}
	if asJSON {
		out := map[string]any{"dir": st.Dir, "keep_days": st.KeepDays, "max_mb": st.MaxMB, "files": files, "last_sent": nil}
		if !st.LastSent.At.IsZero() {
			out["last_sent"] = map[string]any{"file": st.LastSent.File, "articles": st.LastSent.Articles, "at": st.LastSent.At.UTC().Format("2006-01-02T15:04:05Z")}
		}
		return c.printJSON(out)
	}
	if st.Dir == "" {
		fmt.Fprintln(c.stdout, "Sharing is off. Turn it on with: kabootar share set DIR (any folder: a USB stick, a shared drive, a Syncthing folder)")
		return nil
	}
	fmt.Fprintf(c.stdout, "Shared folder: %s (your bundles kept %d days, %d MB at most)\n", st.Dir, st.KeepDays, st.MaxMB)
	if st.LastSent.At.IsZero() {
		fmt.Fprintln(c.stdout, "Nothing sent yet: the next refresh writes your first bundle.")
	} else {
		fmt.Fprintf(c.stdout, "Last sent: %d articles on %s (%s)\n", st.LastSent.Articles, st.LastSent.At.Format("2006-01-02 15:04"), filepath.Base(st.LastSent.File))
	}
	if len(files) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tSTATE\tFROM\tARTICLES")
	waiting := 0
	for _, f := range files {
		from := f.Name
		if from == "" {
			from = f.Fingerprint
		}
		state := map[string]string{cache.ShareOwn: "yours", cache.ShareImported: "imported", cache.ShareUntrusted: "waiting for you",
			cache.ShareRefused: "refused"}[f.State]
		if f.State == cache.ShareUntrusted {
			waiting++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", filepath.Base(f.File), state, from, f.Articles)
	}
	tw.Flush()
	if waiting > 0 {
		fmt.Fprintln(c.stdout, "Bundles waiting for you are signed by keys you do not trust. Compare the fingerprint with the person,\n"+
			"then: kabootar keys trust FILE --name NAME (imported at the next refresh), or kabootar bundle import FILE --accept (this once).")
	}
	for _, f := range files {
		if f.State == cache.ShareRefused {
			fmt.Fprintf(c.stdout, "Refused %s: %s\n", filepath.Base(f.File), f.Detail)
		}
	}
	return nil
}

// shareSyncthing sets the shared folder up in the Syncthing running here,
// or shares it with a friend's device.
func (c *cli) shareSyncthing(ctx context.Context, a *app.App, args []string, home, address string, asJSON bool) error {
	var ie *app.InputError
	switch {
	case len(args) == 0:
		if address != "" {
			return usagef("--address is for share syncthing add")
		}
		s, err := a.ShareSyncthing(ctx, home)
		if err != nil {
			return syncthingError(err)
		}
		if asJSON {
			return c.printJSON(map[string]string{"device_id": s.DeviceID, "dir": s.Dir, "folder": app.SyncthingFolder})
		}
		fmt.Fprintf(c.stdout, "Syncthing carries your bundles in %s (Syncthing folder %q).\n"+
			"This machine's Syncthing device ID (give it to a friend, who runs: kabootar share syncthing add ID):\n  %s\n"+
			"Then add theirs: kabootar share syncthing add THEIR-ID\n", s.Dir, app.SyncthingFolder, s.DeviceID)
		return nil
	case args[0] == "add" && len(args) == 2:
		id, err := a.ShareSyncthingAdd(ctx, home, args[1], address)
		if errors.As(err, &ie) {
			return usagef("%v", err)
		}
		if err != nil {
			return syncthingError(err)
		}
		fmt.Fprintf(c.stdout, "The shared folder is shared with %s. Once they have added this machine too, Syncthing carries bundles both ways,\n"+
			"over the local network or any link between you, with no internet needed.\n", id)
		return nil
	}
	return usagef("use 'share syncthing' or 'share syncthing add DEVICE-ID'")
}

// syncthingError says what to do when Syncthing cannot be used; any
// folder works without it.
func syncthingError(err error) error {
	if errors.Is(err, syncthing.ErrNotInstalled) || errors.Is(err, syncthing.ErrNotRunning) {
		return fmt.Errorf("%w\nWithout Syncthing, any folder works too: kabootar share set DIR (a USB stick, a shared drive)", err)
	}
	return err
}

type shareJSON struct {
	Dir      string          `json:"dir"`
	Received []shareFileJSON `json:"received"`
	Articles int             `json:"articles"`
	Waiting  []shareFileJSON `json:"waiting"`
	Refused  []shareFileJSON `json:"refused"`
	Sent     *string         `json:"sent"`
	SentN    int             `json:"sent_articles"`
	Pruned   int             `json:"pruned"`
	Error    string          `json:"error,omitempty"`
}

func toShareJSON(r app.ShareReport) *shareJSON {
	if r.Dir == "" && r.Err == nil {
		return nil
	}
	conv := func(fs []cache.ShareFile) []shareFileJSON {
		out := []shareFileJSON{}
		for _, f := range fs {
			j := shareFileJSON{File: f.Path, State: f.State, Articles: f.Articles, Detail: f.Detail, Seen: f.At.UTC().Format("2006-01-02T15:04:05Z")}
			if f.Signer != nil {
				j.Fingerprint = f.Signer.Fingerprint()
			}
			out = append(out, j)
		}
		return out
	}
	j := &shareJSON{Dir: r.Dir, Received: conv(r.Received), Articles: r.Articles, Waiting: conv(r.Waiting), Refused: conv(r.Refused),
		SentN: r.Sent.Articles, Pruned: r.Pruned}
	if r.Sent.Path != "" {
		j.Sent = &r.Sent.Path
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	return j
}

// printShare says what the shared folder brought and took.
func (c *cli) printShare(r app.ShareReport) {
	if r.Dir == "" && r.Err == nil {
		return
	}
	if len(r.Received) > 0 {
		fmt.Fprintf(c.stdout, "From the shared folder: %d new articles in %d bundles.\n", r.Articles, len(r.Received))
	}
	for _, f := range r.Waiting {
		fmt.Fprintf(c.stdout, "Waiting for you in the shared folder: %s, %d articles signed by a key you do not trust (%s).\n"+
			"  Compare the fingerprint with its sender, then: kabootar keys trust %q --name NAME\n", filepath.Base(f.Path), f.Articles, fingerprintOf(f), f.Path)
	}
	for _, f := range r.Refused {
		fmt.Fprintf(c.stdout, "Refused from the shared folder: %s: %s\n", filepath.Base(f.Path), f.Detail)
	}
	if r.Sent.Path != "" {
		fmt.Fprintf(c.stdout, "Sent to the shared folder: %d new articles, signed (%s).\n", r.Sent.Articles, filepath.Base(r.Sent.Path))
	}
	if r.Err != nil {
		fmt.Fprintf(c.stderr, "Sharing: %v\n", r.Err)
	}
}

func fingerprintOf(f cache.ShareFile) string {
	if f.Signer == nil {
		return "not signed"
	}
	return f.Signer.Fingerprint()
}

// shareFailed is a refresh's failure to read or write the shared folder:
// exit 1, the rest done.
func shareFailed(r app.ShareReport) error {
	if r.Err == nil {
		return nil
	}
	return &failedError{}
}
