package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// ErrDataDir is a data directory that cannot be found or made.
var ErrDataDir = errors.New("data directory")

// Options are what an App is opened with.
type Options struct {
	Version string
	Log     *slog.Logger
	// Getenv reads the environment (proxies, $KABOOTAR_TELEGRAM); nil:
	// none.
	Getenv func(string) string
	// SystemProxy reads the proxy the system's settings name (Windows's);
	// nil: none.
	SystemProxy func() (transport.SystemProxy, []error)
}

// App is Kabootar's use cases over one data directory. It is safe for
// concurrent use: the window runs a refresh while the reader adds a source.
type App struct {
	dir   string // the data directory
	store *cache.Store
	// shareMu keeps one round in the shared folder at a time: the window
	// watches the folder while a refresh may be reading it too.
	shareMu sync.Mutex
	// tor is Kabootar's own Tor, when it runs.
	tor      torManager
	log      *slog.Logger
	getenv   func(string) string
	sysProxy func() (transport.SystemProxy, []error)
	version  string
}

// DataDir is dir when given, else $KABOOTAR_DATA, else the platform's
// user data directory.
func DataDir(dir string, getenv func(string) string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := getenv("KABOOTAR_DATA"); d != "" {
		return d, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("LocalAppData")
	case "darwin":
		if h := getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Application Support")
		}
	default:
		base = getenv("XDG_DATA_HOME")
		if base == "" && getenv("HOME") != "" {
			base = filepath.Join(getenv("HOME"), ".local", "share")
		}
	}
	if base == "" {
		return "", fmt.Errorf("%w: cannot tell where to keep data; give one with --data DIR or $KABOOTAR_DATA", ErrDataDir)
	}
	return filepath.Join(base, "kabootar"), nil
}

// Open opens the cache in dir, creating both when needed.
func Open(ctx context.Context, dir string, o Options) (*App, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w %s cannot be created: %v; choose another with --data DIR", ErrDataDir, dir, err)
	}
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	log.Debug("data directory", "dir", dir)
	st, err := cache.Open(ctx, filepath.Join(dir, cache.FileName))
	if err != nil {
		return nil, err
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	sysProxy := o.SystemProxy
	if sysProxy == nil {
		sysProxy = func() (transport.SystemProxy, []error) { return transport.SystemProxy{}, nil }
	}
	return &App{dir: dir, store: st, log: log, getenv: getenv, sysProxy: sysProxy, version: o.Version}, nil
}

// Close closes the cache.
// Close stops Kabootar's Tor (never left running) and closes the cache.
func (a *App) Close() error {
	a.StopTor()
	return a.store.Close()
}

// Store is the cache: what the window and the listing commands read.
func (a *App) Store() *cache.Store { return a.store }

// routeMemoryTTL is how long route records are kept.
const routeMemoryTTL = 7 * 24 * time.Hour

// Client is a transport.Client over the routes the settings allow, with
// the environment's proxies, remembering in the cache which route works
// for which host. A new one each time: the settings may have changed.
func (a *App) Client(ctx context.Context) (*transport.Client, error) {
	c, _, err := a.clientAndNetwork(ctx)
	return c, err
}

// clientAndNetwork is Client and the network settings it was made from,
// for the callers that need those too (the bridges), read once.
func (a *App) clientAndNetwork(ctx context.Context) (*transport.Client, Network, error) {
	n, err := LoadNetwork(ctx, a.store)
	if err != nil {
		return nil, n, fmt.Errorf("%w; fix it with 'kabootar transport set'", err)
	}
	if err := a.store.ForgetRoutes(ctx, time.Now().Add(-routeMemoryTTL)); err != nil {
		a.log.Warn("could not forget old routes", "err", err)
	}
	if n.Tor == TorAlways && n.Mode != transport.ModeDirect {
		if err := a.StartTor(ctx); err != nil {
			a.log.Warn("Kabootar's Tor", "err", err)
		} else if n.Mode == transport.ModeProxy && len(n.Proxies) == 0 {
			// Strict mode with Tor the only proxy: nothing can go before it.
			a.WaitTor(ctx, torWait)
		}
	}
	return transport.New(transport.Options{
		UserAgent: "Kabootar/" + a.version,
		Logger:    a.log,
		Config:    a.config(n),
		Memory:    routeMemory{a.store, transport.CurrentNetwork().ID},
	}), n, nil
}

// config is the transport configuration of n with the environment's
// proxies.
func (a *App) config(n Network) transport.Config {
	env, noProxy, errs := transport.ProxiesFromEnv(a.getenv)
	for _, err := range errs {
		a.log.Warn("ignoring a proxy from the environment", "err", err)
	}
	// The system's proxy (Windows's settings) is offered as the
	// environment's is: a route of its own, not for its bypass list.
	sys, errs := a.sysProxy()
	for _, err := range errs {
		a.log.Warn("ignoring the system's proxy setting", "err", err)
	}
	env = append(env, sys.Proxies...)
	if sys.NoProxy != "" {
		noProxy = strings.Trim(noProxy+","+sys.NoProxy, ",")
	}
	if sys.PAC != "" {
		a.log.Info("the system names a proxy configuration script, which Kabootar does not follow", "pac", sys.PAC)
	}
	return transport.Config{
		Mode:        n.Mode,
		Proxies:     n.Proxies,
		DoH:         n.Resolvers(),
		EnvProxies:  env,
		NoProxy:     noProxy,
		TorAddrs:    transport.DefaultTorAddrs,
		TrustedNets: n.Trusted,
		Tor:         a.torSocks(),
		Tactics:     !n.TacticsOff,
		ECH:         !n.ECHOff,
		Fronts:      n.Fronts,
	}
}

// Config is the transport configuration the settings give now.
func (a *App) Config(ctx context.Context) (transport.Config, error) {
	n, err := LoadNetwork(ctx, a.store)
	return a.config(n), err
}

// TelegramHost is where channel previews are read: t.me, or the host in
// $KABOOTAR_TELEGRAM (a mirror that serves the same /s/NAME pages).
func (a *App) TelegramHost() string {
	if h := a.getenv("KABOOTAR_TELEGRAM"); h != "" {
		return strings.TrimSuffix(h, "/")
	}
	return feeds.TelegramHost
}

// routeMemory keeps the transport's route records in the cache.
// RouteMemory is the network this machine is on and, per site, the route
// that last worked there (at most limit, newest first).
func (a *App) RouteMemory(ctx context.Context, limit int) (transport.Network, []cache.RouteRecord, error) {
	n := transport.CurrentNetwork()
	w, err := a.store.Winners(ctx, n.ID, limit)
	return n, w, err
}

// routeMemory is route memory in the cache, kept per network: what worked
// on one network is not trusted on another.
type routeMemory struct {
	st      *cache.Store
	network string
}

func (m routeMemory) LoadRoutes(ctx context.Context, host string) ([]transport.RouteRecord, error) {
	recs, err := m.st.Routes(ctx, m.network, host)
	if err != nil {
		return nil, err
	}
	out := make([]transport.RouteRecord, len(recs))
	for i, r := range recs {
		out[i] = transport.RouteRecord{Host: r.Host, Route: r.Route, URL: r.URL, OK: r.OK,
			Verdict: transport.Verdict(r.Verdict), Elapsed: r.Elapsed, At: r.At}
	}
	return out, nil
}

func (m routeMemory) SaveRoute(ctx context.Context, r transport.RouteRecord) error {
	return m.st.RecordRoute(ctx, cache.RouteRecord{Network: m.network, Host: r.Host, Route: r.Route, URL: r.URL, OK: r.OK,
		Verdict: string(r.Verdict), Elapsed: r.Elapsed, At: r.At})
}
