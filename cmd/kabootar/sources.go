package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

func (c *cli) sources(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("sources needs add, list or remove")
	}
	switch args[0] {
	case "add":
		return c.sourcesAdd(ctx, args[1:])
	case "list":
		return c.sourcesList(ctx, args[1:])
	case "remove", "rm":
		return c.sourcesRemove(ctx, args[1:])
	}
	return usagef("unknown sources command %q", args[0])
}

// stringList is a flag that may be given many times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (c *cli) sourcesAdd(ctx context.Context, args []string) error {
	fs := c.flags("sources add")
	name := fs.String("name", "", "name of the source")
	var mirrors stringList
	fs.Var(&mirrors, "mirror", "another URL serving the same feed")
	starter := fs.String("starter", "", "add the starter sources of a language")
	fullText := fs.Bool("full-text", false, "fetch each article's page and keep its full text")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if *starter != "" {
		if len(rest) > 0 || *name != "" || len(mirrors) > 0 {
			return usagef("--starter adds a whole list; give no URL, --name or --mirror with it")
		}
		return c.addStarters(ctx, *starter)
	}
	if err := needArgs("sources add", rest, 1, "one URL"); err != nil {
		return err
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	added, err := a.AddSource(ctx, rest[0], app.AddOptions{Name: *name, Mirrors: mirrors, FullText: *fullText})
	var ie *app.InputError
	switch {
	case errors.As(err, &ie):
		return usagef("%w", err)
	case errors.Is(err, app.ErrAlreadyFollowed):
		return &failedError{"kabootar: " + err.Error()}
	case err != nil:
		return err
	}
	fmt.Fprintf(c.stdout, "Added %d: %s\n", added.Source.ID, cmp.Or(added.Source.Name, added.Source.URL))
	if added.FeedURL != "" {
		fmt.Fprintf(c.stdout, "  feed: %s\n", added.FeedURL)
	}
	var ue *app.UnreachableError
	if errors.As(added.Unreachable, &ue) {
		advice := "If a censor blocks it, add a mirror (--mirror) or a proxy (kabootar transport set --proxy)."
		if ue.Proxy {
			advice = "Check your proxy: kabootar transport show."
		}
		return &failedError{fmt.Sprintf("kabootar: %v;\n"+
			"  it was added as typed and will be tried on every refresh. %s", ue, advice)}
	}
	return nil
}

// addStarters adds the starter sources of a language, as the first run
// does, without asking the network: the list says what each source is.
func (c *cli) addStarters(ctx context.Context, language string) error {
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	added, listed, err := a.AddStarterLanguage(ctx, language)
	var ie *app.InputError
	if errors.As(err, &ie) {
		return usagef("%w", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Added %d starter sources (%s)", added, language)
	if n := listed - added; n > 0 {
		fmt.Fprintf(c.stdout, "; %d were already followed", n)
	}
	fmt.Fprintln(c.stdout, ". Fetch them with: kabootar refresh")
	return nil
}

type sourceJSON struct {
	ID          int64    `json:"id"`
	Kind        string   `json:"kind"`
	URL         string   `json:"url"`
	Name        string   `json:"name"`
	Mirrors     []string `json:"mirrors"`
	MirrorURLs  []string `json:"mirror_urls"` // what each mirror fetches
	LastOK      *string  `json:"last_ok"`
	LastVerdict string   `json:"last_verdict"`
	LastRoute   string   `json:"last_route"`
	LastURL     string   `json:"last_url"` // the address that served it: its own or a mirror
	LastError   string   `json:"last_error"`
	Unread      int      `json:"unread"`
}

func (c *cli) sourcesList(ctx context.Context, args []string) error {
	fs := c.flags("sources list")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("sources list", rest, 0, "no arguments"); err != nil {
		return err
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.Store().Sources(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			Sources []sourceJSON `json:"sources"`
		}{Sources: []sourceJSON{}}
		for _, s := range list {
			out.Sources = append(out.Sources, sourceJSON{
				ID: s.ID, Kind: s.Kind, URL: s.URL, Name: s.Name, Mirrors: nonNil(s.Mirrors), MirrorURLs: feeds.MirrorURLs(s),
				LastOK: timeJSON(s.LastOK), LastVerdict: s.LastVerdict, LastRoute: s.LastRoute, LastURL: s.LastURL,
				LastError: s.LastError, Unread: s.Unread,
			})
		}
		return c.printJSON(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "No sources yet. Add one with: kabootar sources add URL")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUNREAD\tLAST OK\tSTATUS\tNAME\tURL")
	for _, s := range list {
		status := "ok"
		switch {
		case s.LastVerdict != "":
			status = s.LastVerdict
		case s.LastError != "":
			status = "failed"
		case s.LastOK.IsZero():
			status = "new"
		}
		if s.LastRoute != "" && s.LastVerdict == "" {
			status += " (" + s.LastRoute + ")"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Unread, ago(s.LastOK), status, s.Name, s.URL)
		for _, m := range s.Mirrors {
			// A mirror is stored as it was given; say what it fetches.
			fmt.Fprintf(tw, "\t\t\t\tmirror\t%s\n", m)
			if u := feeds.MirrorURL(s, m); u != m {
				fmt.Fprintf(tw, "\t\t\t\t\t→ %s\n", u)
			}
		}
	}
	return tw.Flush()
}

func (c *cli) sourcesRemove(ctx context.Context, args []string) error {
	id, a, err := c.oneID(ctx, "sources remove", "one source ID", args)
	if err != nil {
		return err
	}
	defer a.Close()
	store := a.Store()
	src, err := store.Source(ctx, id)
	if err != nil {
		return notFound(err)
	}
	if err := store.RemoveSource(ctx, id); err != nil {
		return notFound(err)
	}
	fmt.Fprintf(c.stdout, "Removed %d: %s\n", id, cmp.Or(src.Name, src.URL))
	return nil
}

// notFound makes a missing ID a usage error: the caller named something
// that is not there.
func notFound(err error) error {
	if errors.Is(err, cache.ErrNotFound) {
		return usagef("%v", err)
	}
	return err
}

// oneID reads the arguments of a command that takes one ID, and opens the
// store for it.
func (c *cli) oneID(ctx context.Context, name, what string, args []string) (int64, *app.App, error) {
	fs := c.flags(name)
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return 0, nil, err
	}
	if err := needArgs(name, rest, 1, what); err != nil {
		return 0, nil, err
	}
	id, err := parseID(rest[0])
	if err != nil {
		return 0, nil, err
	}
	a, err := c.open(ctx)
	return id, a, err
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("%q is not an ID (a number from 'list')", s)
	}
	return id, nil
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ago says how long ago t was, for people.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}
