package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// Connection is the network settings as the window edits them: proxies
// shown with their passwords as ***; saving a line unchanged keeps the
// password stored.
type Connection struct {
	Mode    string // auto, direct, proxy
	Proxies []string
	DoH     bool
	// Tactics are split and tlsfrag, tried when direct fails.
	Tactics bool
	// ECH is Encrypted Client Hello, tried when direct fails.
	ECH bool
	// Fronts are domain fronts, HOST=FRONT[@ADDR].
	Fronts []string
	// Resolvers are DNS-over-HTTPS resolvers (URL[@IP]); none means the
	// built-in ones.
	Resolvers []string
	// Bridges are RSSHub or RSS-Bridge instances for Instagram and X.
	Bridges []string
	// Tor is when Kabootar runs its own Tor (TorAuto, TorAlways, TorOff);
	// TorBridges its bridges (obfs4, snowflake, none, or lines).
	Tor        string
	TorBridges []string
	// TorInstalled: the tor program is there (shown, not saved).
	TorInstalled bool
}

// Connection is the network settings as the window shows them.
func (a *App) Connection(ctx context.Context) (Connection, error) {
	n, err := LoadNetwork(ctx, a.store)
	if err != nil {
		return Connection{}, err
	}
	_, torErr := a.findTor()
	c := Connection{Mode: string(n.Mode), DoH: !n.DoHOff, Tactics: !n.TacticsOff, ECH: !n.ECHOff, Bridges: n.Bridges, Tor: n.Tor, TorBridges: n.TorBridges, TorInstalled: torErr == nil}
	for _, p := range n.Proxies {
		c.Proxies = append(c.Proxies, p.String()) // passwords as ***
	}
	for _, d := range n.DoH {
		c.Resolvers = append(c.Resolvers, d.String())
	}
	c.Fronts = stringsOf(n.Fronts)
	return c, nil
}

// SetConnection checks and saves what the window's settings give, as
// `kabootar transport set` does: all of it, or (refused) none.
func (a *App) SetConnection(ctx context.Context, c Connection) error {
	n, err := LoadNetwork(ctx, a.store)
	if err != nil && !errors.Is(err, ErrSettings) {
		return err
	}
	// A line shown with its password as *** and left as it was keeps the
	// stored password.
	stored := map[string]transport.Proxy{}
	for _, p := range n.Proxies {
		stored[p.String()] = p
	}
	if n.Mode, err = transport.ParseMode(c.Mode); err != nil {
		return inputf("--mode: %w", err)
	}
	n.Proxies = nil
	for _, line := range c.Proxies {
		p, ok := stored[line]
		if !ok {
			if p, err = transport.ParseProxy(line); err != nil {
				return inputf("--proxy: %w", err)
			}
		}
		n.Proxies = append(n.Proxies, p)
	}
	n.TacticsOff, n.ECHOff = !c.Tactics, !c.ECH
	n.Fronts = nil
	for _, line := range c.Fronts {
		f, err := transport.ParseFront(line)
		if err != nil {
			return inputf("--front: %w", err)
		}
		n.Fronts = append(n.Fronts, f)
	}
	n.DoHOff, n.DoH = !c.DoH, nil
	if c.DoH {
		for _, r := range c.Resolvers {
			d, err := transport.ParseDoH(r)
			if err != nil {
				return inputf("--doh: %w", err)
			}
			n.DoH = append(n.DoH, d)
		}
	}
	n.Bridges = nil
	for _, b := range c.Bridges {
		u, err := feeds.NormalizeURL(b)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", b, err)
		}
		n.Bridges = append(n.Bridges, strings.TrimSuffix(u, "/"))
	}
	if c.Tor != "" {
		if n.Tor, err = ParseTorMode(c.Tor); err != nil {
			return inputf("%w", err)
		}
	}
	if len(c.TorBridges) > 0 {
		if err := CheckTorBridges(c.TorBridges); err != nil {
			return inputf("%w", err)
		}
		n.TorBridges = c.TorBridges
	}
	return n.Save(ctx, a.store)
}

// RouteCheck is how one route fared in a connection test.
type RouteCheck struct {
	Route   string
	OK      bool
	Verdict string
	Elapsed time.Duration
}

// ErrNothingToTest is a connection test with no source to try.
var ErrNothingToTest = errors.New("add a source first: the test tries every route on it")

// TestConnection tries every route on target, or on the first source
// followed by its web address when target is "".
func (a *App) TestConnection(ctx context.Context, target string) ([]RouteCheck, error) {
	if target == "" {
		srcs, err := a.store.Sources(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range srcs {
			if strings.HasPrefix(s.URL, "http") {
				target = s.URL
				break
			}
		}
	}
	if target == "" {
		return nil, ErrNothingToTest
	}
	ds, err := a.Diagnose(ctx, target)
	if err != nil {
		return nil, err
	}
	var out []RouteCheck
	for _, d := range ds {
		out = append(out, RouteCheck{Route: d.Route, OK: d.Verdict == "", Verdict: string(d.Verdict), Elapsed: d.Elapsed})
	}
	return out, nil
}

// Diagnose tries every route on url, one after another, and says how each
// fared and where the time went.
func (a *App) Diagnose(ctx context.Context, url string) ([]transport.Diagnosis, error) {
	client, err := a.Client(ctx)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	return client.Diagnose(ctx, url), nil
}

// FoundProxy is a proxy found on this computer.
type FoundProxy struct {
	URL           string // as shown: passwords as ***
	Tool          string // Tor, Clash…, or the environment variable naming it
	NeedsPassword bool
}

// SystemProxyTool names the system's proxy settings where a found proxy
// is listed.
const SystemProxyTool = "Windows proxy settings"

// SystemProxy is the proxy the system's settings name (Windows's), with
// what in them cannot be used.
func (a *App) SystemProxy() (transport.SystemProxy, []error) { return a.sysProxy() }

// FindProxies looks for proxies the reader is likely running: in the
// system's proxy settings (Windows's, where v2rayN, Clash and Psiphon
// put theirs), on the ports circumvention tools use, and in the
// environment.
func (a *App) FindProxies(ctx context.Context) []FoundProxy {
	var out []FoundProxy
	seen := map[string]bool{}
	sys, _ := a.sysProxy()
	for _, p := range sys.Proxies {
		seen[p.Route()] = true
		out = append(out, FoundProxy{URL: p.String(), Tool: SystemProxyTool})
	}
	for _, p := range transport.FindLocalProxies(ctx, transport.CommonLocalProxies, a.getenv, nil) {
		if !seen[p.Proxy.Route()] {
			out = append(out, FoundProxy{URL: p.Proxy.String(), Tool: p.Tool, NeedsPassword: p.NeedsPassword})
		}
	}
	return out
}

// Reading is the reading settings.
func (a *App) Reading(ctx context.Context) (Reading, error) { return LoadReading(ctx, a.store) }

// SaveReading keeps the reading settings.
func (a *App) SaveReading(ctx context.Context, r Reading) error { return r.Save(ctx, a.store) }

// Storage is the storage settings, with the cache file and its size.
func (a *App) Storage(ctx context.Context) (Storage, error) {
	s, err := LoadStorage(ctx, a.store)
	s.Path = a.store.Path()
	if fi, serr := os.Stat(s.Path); serr == nil {
		s.Size = fi.Size()
	}
	return s, err
}

// SetStorage keeps the storage settings.
func (a *App) SetStorage(ctx context.Context, s Storage) error { return s.Save(ctx, a.store) }

// NotifySources are the sources whose new articles the window announces.
func (a *App) NotifySources(ctx context.Context) (map[int64]bool, error) {
	n, err := LoadNotify(ctx, a.store)
	return n.Sources, err
}

// SetNotify turns announcing a source's new articles on or off.
func (a *App) SetNotify(ctx context.Context, id int64, on bool) error {
	n, err := LoadNotify(ctx, a.store)
	if err != nil {
		n = Notify{Sources: map[int64]bool{}} // a bad list is replaced
	}
	n.Sources[id] = on
	return n.Save(ctx, a.store)
}

// FirstRun says whether the welcome shows: on a start with no sources,
// until it has been gone through once.
func (a *App) FirstRun(ctx context.Context) (bool, error) {
	w, err := LoadWelcome(ctx, a.store)
	if err != nil || w.Done {
		return false, err
	}
	srcs, err := a.store.Sources(ctx)
	return err == nil && len(srcs) == 0, err
}

// Window is the window's state as it was last closed.
func (a *App) Window(ctx context.Context) (WindowState, error) { return LoadWindow(ctx, a.store) }

// SaveWindow keeps the window's state.
func (a *App) SaveWindow(ctx context.Context, s WindowState) error { return s.Save(ctx, a.store) }

// Welcomed remembers that the welcome was gone through.
func (a *App) Welcomed(ctx context.Context) error { return Welcome{Done: true}.Save(ctx, a.store) }
