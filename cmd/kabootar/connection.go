package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/ui"
)

// connection gives the window the connection settings, through the same
// code as `kabootar transport set` and `diagnose`.
type connection struct {
	c     *cli
	store *cache.Store
}

var _ ui.ConnectionSettings = connection{}

func (cn connection) Connection(ctx context.Context) (ui.Connection, error) {
	ns, err := loadNetSettings(ctx, cn.store)
	if err != nil {
		return ui.Connection{}, err
	}
	conn := ui.Connection{Mode: string(ns.Mode), DoH: !ns.DoHOff}
	for _, p := range ns.Proxies {
		conn.Proxies = append(conn.Proxies, p.String()) // passwords as ***
	}
	for _, d := range ns.DoH {
		conn.Resolvers = append(conn.Resolvers, d.String())
	}
	if conn.Bridges, _, err = cn.c.bridgeSettings(ctx, cn.store); err != nil {
		return conn, err
	}
	return conn, nil
}

func (cn connection) SetConnection(ctx context.Context, next ui.Connection) error {
	ns, err := loadNetSettings(ctx, cn.store)
	if err != nil {
		return err
	}
	// A line shown with its password as *** and left as it was keeps the
	// stored password.
	stored := map[string]string{}
	for _, p := range ns.Proxies {
		stored[p.String()] = p.URL()
	}
	args := []string{"--mode", next.Mode}
	if len(next.Proxies) == 0 {
		args = append(args, "--proxy", "off")
	}
	for _, p := range next.Proxies {
		if full, ok := stored[p]; ok {
			p = full
		}
		args = append(args, "--proxy", p)
	}
	switch {
	case !next.DoH:
		args = append(args, "--doh", "off")
	case len(next.Resolvers) > 0:
		for _, r := range next.Resolvers {
			args = append(args, "--doh", r)
		}
	default:
		args = append(args, "--doh", "default")
	}
	var bridges []string
	for _, b := range next.Bridges {
		u, err := feeds.NormalizeURL(b)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", b, err)
		}
		bridges = append(bridges, strings.TrimSuffix(u, "/"))
	}
	var out strings.Builder
	sub := &cli{stdout: &out, stderr: &out, getenv: cn.c.getenv, dataDir: cn.c.dataDir, log: cn.c.log}
	if err := sub.transportSet(ctx, args); err != nil {
		return err
	}
	return cn.store.SetSetting(ctx, settingBridges, mustJSON(nonNil(bridges)))
}

func (cn connection) TestConnection(ctx context.Context, target string) ([]ui.RouteCheck, error) {
	srcs, err := cn.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		if target != "" {
			break
		}
		if strings.HasPrefix(s.URL, "http") {
			target = s.URL
			break
		}
	}
	if target == "" {
		return nil, fmt.Errorf("add a source first: the test tries every route on it")
	}
	client, err := cn.c.client(ctx, cn.store)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	var out []ui.RouteCheck
	for _, d := range client.Diagnose(ctx, target) {
		out = append(out, ui.RouteCheck{Route: d.Route, OK: d.Verdict == "", Verdict: string(d.Verdict), Elapsed: d.Elapsed})
	}
	return out, nil
}

// storage gives the window the storage settings.
type storage struct{ store *cache.Store }

var _ ui.StorageSettings = storage{}

func (s storage) Storage(ctx context.Context) (ui.Storage, error) {
	r, err := s.store.Retention(ctx)
	if err != nil {
		return ui.Storage{}, err
	}
	out := ui.Storage{Path: s.store.Path(), RetentionDays: int(r.MaxAge.Hours() / 24), PerSource: r.MaxPerSource, MediaMB: cache.DefaultMediaBudgetMB}
	if v, ok, err := s.store.Setting(ctx, cache.SettingMediaBudgetMB); err == nil && ok {
		fmt.Sscan(v, &out.MediaMB)
	}
	if out.RefreshMinutes, err = refreshMinutes(ctx, s.store); err != nil {
		return out, err
	}
	if fi, err := os.Stat(s.store.Path()); err == nil {
		out.Size = fi.Size()
	}
	return out, nil
}

func (s storage) SetStorage(ctx context.Context, st ui.Storage) error {
	for k, v := range map[string]int{cache.SettingRetentionDays: st.RetentionDays, cache.SettingRetentionPerSource: st.PerSource,
		cache.SettingMediaBudgetMB: st.MediaMB, settingRefreshMinutes: st.RefreshMinutes} {
		if err := s.store.SetSetting(ctx, k, fmt.Sprint(v)); err != nil {
			return err
		}
	}
	return nil
}

// settingRefreshMinutes is the time between the window's background
// refreshes, in minutes; 0: none.
const settingRefreshMinutes = "refresh.interval_minutes"

func refreshMinutes(ctx context.Context, st *cache.Store) (int, error) {
	n := int(feeds.DefaultInterval / time.Minute)
	v, ok, err := st.Setting(ctx, settingRefreshMinutes)
	if err != nil || !ok {
		return n, err
	}
	if m, err := strconv.Atoi(v); err == nil && m >= 0 {
		n = m
	}
	return n, nil
}

// notifySettings keeps the sources whose new articles the window
// announces, in the setting notify.sources (a JSON list of IDs).
type notifySettings struct{ store *cache.Store }

const settingNotify = "notify.sources"

func (n notifySettings) NotifySources(ctx context.Context) (map[int64]bool, error) {
	var ids []int64
	if err := jsonSetting(ctx, n.store, settingNotify, &ids); err != nil {
		return nil, err
	}
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}

func (n notifySettings) SetNotify(ctx context.Context, id int64, on bool) error {
	m, err := n.NotifySources(ctx)
	if err != nil {
		m = map[int64]bool{}
	}
	m[id] = on
	ids := []int64{}
	for k, v := range m {
		if v {
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	return n.store.SetSetting(ctx, settingNotify, mustJSON(ids))
}
