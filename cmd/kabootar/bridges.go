package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// Bridges turn accounts of platforms without public feeds (Instagram, X)
// into feeds: RSSHub and RSS-Bridge instances, Nitter-like mirrors. A
// bridge source (instagram:NAME, x:NAME, telegram:NAME) expands, at each
// refresh, into one URL per configured bridge, tried as mirrors.
const (
	settingBridges   = "bridges"          // JSON list of base URLs
	settingTemplates = "bridge.templates" // JSON object: kind -> URL template
)

// defaultTemplates are RSSHub's routes; RSS-Bridge users set their own.
var defaultTemplates = map[string]string{
	"instagram": "{base}/instagram/user/{account}",
	"x":         "{base}/twitter/user/{account}",
	"telegram":  "{base}/telegram/channel/{account}",
}

var bridgeAccount = regexp.MustCompile(`^[A-Za-z0-9_.]{1,64}$`)

// parseBridgeSource reads instagram:NAME, x:NAME and telegram:NAME.
func parseBridgeSource(s string) (kind, account string, ok bool) {
	kind, account, found := strings.Cut(s, ":")
	if !found {
		return "", "", false
	}
	kind = strings.ToLower(kind)
	if _, known := defaultTemplates[kind]; !known {
		return "", "", false
	}
	return kind, strings.TrimPrefix(account, "@"), true
}

func (c *cli) bridgeSettings(ctx context.Context, st *cache.Store) ([]string, map[string]string, error) {
	var bases []string
	if err := jsonSetting(ctx, st, settingBridges, &bases); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errSettings, err)
	}
	tpl := map[string]string{}
	for k, v := range defaultTemplates {
		tpl[k] = v
	}
	if err := jsonSetting(ctx, st, settingTemplates, &tpl); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errSettings, err)
	}
	return bases, tpl, nil
}

// expandBridge gives a bridge source's URLs, one per bridge.
func (c *cli) expandBridge(ctx context.Context, st *cache.Store, source string) ([]string, error) {
	bases, tpl, err := c.bridgeSettings(ctx, st)
	if err != nil {
		return nil, err
	}
	return expand(bases, tpl, source)
}

func expand(bases []string, tpl map[string]string, source string) ([]string, error) {
	kind, account, ok := parseBridgeSource(source)
	if !ok {
		return nil, fmt.Errorf("%q is not a bridge source (instagram:NAME, x:NAME, telegram:NAME)", source)
	}
	if len(bases) == 0 {
		return nil, fmt.Errorf("%w: no bridge is configured to follow %s; add an RSSHub or RSS-Bridge instance you trust with: kabootar bridges add URL", errSettings, source)
	}
	var urls []string
	for _, b := range bases {
		r := strings.NewReplacer("{base}", strings.TrimSuffix(b, "/"), "{account}", url.PathEscape(account))
		urls = append(urls, r.Replace(tpl[kind]))
	}
	return urls, nil
}

func (c *cli) bridges(ctx context.Context, args []string) error {
	fs := c.flags("bridges")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("bridges needs list, add URL or remove URL")
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	bases, _, err := c.bridgeSettings(ctx, store)
	if err != nil {
		return err
	}
	save := func(list []string) error {
		b, _ := json.Marshal(nonNil(list))
		return store.SetSetting(ctx, settingBridges, string(b))
	}
	switch {
	case rest[0] == "list" && len(rest) == 1:
		if len(bases) == 0 {
			fmt.Fprintln(c.stdout, "No bridges. Add an RSSHub or RSS-Bridge instance you trust: kabootar bridges add URL")
		}
		for _, b := range bases {
			fmt.Fprintln(c.stdout, b)
		}
		return nil
	case rest[0] == "add" && len(rest) == 2:
		u, err := feeds.NormalizeURL(rest[1])
		if err != nil {
			return usagef("%v", err)
		}
		u = strings.TrimSuffix(u, "/")
		for _, b := range bases {
			if b == u {
				return &failedError{"kabootar: " + u + " is already a bridge"}
			}
		}
		if err := save(append(bases, u)); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Added bridge %s\n", u)
		return nil
	case rest[0] == "remove" && len(rest) == 2:
		var kept []string
		for _, b := range bases {
			if b != strings.TrimSuffix(rest[1], "/") {
				kept = append(kept, b)
			}
		}
		if len(kept) == len(bases) {
			return usagef("%s is not a bridge; see kabootar bridges list", rest[1])
		}
		if err := save(kept); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Removed bridge %s\n", rest[1])
		return nil
	}
	return usagef("use 'bridges list', 'bridges add URL' or 'bridges remove URL'")
}

// telegramHost is where channel previews are read: t.me, or the host in
// $KABOOTAR_TELEGRAM (a mirror that serves the same /s/NAME pages).
func (c *cli) telegramHost() string {
	if h := c.getenv("KABOOTAR_TELEGRAM"); h != "" {
		return strings.TrimSuffix(h, "/")
	}
	return feeds.TelegramHost
}
