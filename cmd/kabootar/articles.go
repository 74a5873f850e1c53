package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

type articleJSON struct {
	ID              int64  `json:"id"`
	SourceID        int64  `json:"source_id"`
	Title           string `json:"title"`
	URL             string `json:"url"`
	Published       string `json:"published"`
	Dir             string `json:"dir"`
	Read            bool   `json:"read"`
	Starred         bool   `json:"starred"`
	OfflineComplete bool   `json:"offline_complete"`
}

func (c *cli) articles(ctx context.Context, args []string) error {
	fs := c.flags("articles")
	source := fs.Int64("source", 0, "only this source")
	search := fs.String("search", "", "only articles with these words")
	unread := fs.Bool("unread", false, "only unread articles")
	starred := fs.Bool("starred", false, "only starred articles")
	limit := fs.Int("limit", 50, "at most this many")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("articles", rest, 0, "no arguments (use --search for words)"); err != nil {
		return err
	}
	if *limit <= 0 || *limit > 100000 {
		return usagef("--limit must be between 1 and 100000")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	store := a.Store()
	if *source != 0 {
		if _, err := store.Source(ctx, *source); err != nil {
			return notFound(err)
		}
	}
	q := cache.Query{SourceID: *source, Search: *search, Unread: *unread, Starred: *starred, Limit: *limit}
	if *asJSON {
		return c.streamArticlesJSON(ctx, store, q)
	}
	list, err := store.Articles(ctx, q)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "No articles.")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for _, a := range list {
		mark := " "
		if !a.Read {
			mark = "•"
		}
		if a.Starred {
			mark = "★"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s %s\n", a.ID, a.Published.Local().Format("2006-01-02 15:04"), mark, oneLine(a.Title))
	}
	return tw.Flush()
}

// streamArticlesJSON prints {"articles":[…]} as each article is read, in
// printJSON's layout, so memory stays flat however many are asked for.
func (c *cli) streamArticlesJSON(ctx context.Context, store *cache.Store, q cache.Query) error {
	w := bufio.NewWriterSize(c.stdout, 64<<10)
	io.WriteString(w, "{\n  \"articles\": [")
	n := 0
	var item bytes.Buffer
	enc := json.NewEncoder(&item)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	err := store.EachArticle(ctx, q, func(a cache.Summary) error {
		item.Reset()
		if err := enc.Encode(articleJSON{
			ID: a.ID, SourceID: a.SourceID, Title: a.Title, URL: a.URL, Published: a.Published.UTC().Format(time.RFC3339),
			Dir: a.Dir, Read: a.Read, Starred: a.Starred, OfflineComplete: a.OfflineComplete,
		}); err != nil {
			return err
		}
		if n > 0 {
			w.WriteByte(',')
		}
		n++
		io.WriteString(w, "\n    ")
		_, err := w.Write(bytes.TrimSuffix(item.Bytes(), []byte("\n")))
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		io.WriteString(w, "\n  ")
	}
	io.WriteString(w, "]\n}\n")
	return w.Flush()
}

func (c *cli) show(ctx context.Context, args []string) error {
	id, k, err := c.oneID(ctx, "show", "one article ID", args)
	if err != nil {
		return err
	}
	defer k.Close()
	store := k.Store()
	a, err := store.Article(ctx, id)
	if err != nil {
		return notFound(err)
	}
	src, err := store.Source(ctx, a.SourceID)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, a.Title)
	meta := []string{cmp.Or(src.Name, src.URL), a.Published.Local().Format("2006-01-02 15:04")}
	if a.Author != "" {
		meta = append(meta, a.Author)
	}
	fmt.Fprintln(c.stdout, strings.Join(meta, " · "))
	if a.URL != "" {
		fmt.Fprintln(c.stdout, a.URL)
	}
	fmt.Fprintln(c.stdout)
	text := feeds.PlainText(a.HTML)
	if text == "" {
		text = a.Summary
	}
	fmt.Fprintln(c.stdout, text)
	media, err := store.ArticleMedia(ctx, a.ID)
	if err != nil {
		return err
	}
	// Images not tried yet (left for the next refresh) have no record.
	tried := map[string]bool{}
	for _, m := range media {
		tried[m.URL] = true
	}
	for _, u := range feeds.Images(a.HTML) {
		if !tried[u] {
			media = append(media, cache.MediaState{URL: u})
		}
	}
	if len(media) > 0 {
		fmt.Fprintln(c.stdout)
		fmt.Fprintln(c.stdout, "Images:")
		for _, m := range media {
			state := fmt.Sprintf("saved, %d KB", (m.Size+1023)/1024)
			if !m.Cached {
				state = "not saved: " + cmp.Or(m.Error, "not fetched yet")
			}
			fmt.Fprintf(c.stdout, "  %s (%s)\n", m.URL, state)
		}
		// Reading it keeps its images over those nobody opened.
		if err := store.TouchArticleMedia(ctx, a.ID); err != nil {
			c.log.Warn("could not mark the images read", "err", err)
		}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
