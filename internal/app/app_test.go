package app

import (
	"context"
	"errors"
	"testing"

	"github.com/kabootar/kabootar/internal/transport"
)

// What worked on one network is not what the next network is told.
func TestRouteMemoryPerNetwork(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	home, mobile := routeMemory{a.store, "home"}, routeMemory{a.store, "mobile"}
	if err := home.SaveRoute(ctx, transport.RouteRecord{Host: "news.example", Route: transport.RouteSplit, URL: "https://news.example/feed", OK: true}); err != nil {
		t.Fatal(err)
	}
	if recs, err := home.LoadRoutes(ctx, "news.example"); err != nil || len(recs) != 1 || recs[0].Route != transport.RouteSplit {
		t.Fatalf("home remembers %+v, %v", recs, err)
	}
	if recs, err := mobile.LoadRoutes(ctx, "news.example"); err != nil || len(recs) != 0 {
		t.Fatalf("mobile data was told %+v, %v", recs, err)
	}
}

// The tactics are on by default, and the window's switch turns them off
// in the client's configuration.
func TestTacticsSetting(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	conn, err := a.Connection(ctx)
	if err != nil || !conn.Tactics || !conn.ECH {
		t.Fatalf("by default: tactics %v, ECH %v, %v", conn.Tactics, conn.ECH, err)
	}
	if cfg, _ := a.Config(ctx); !cfg.Tactics || !cfg.ECH {
		t.Error("the default configuration has no tactics or no ECH")
	}
	conn.Tactics, conn.ECH = false, false
	conn.Fronts = []string{"news.example=cdn.example@192.0.2.7"}
	if err := a.SetConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := a.Config(ctx); cfg.Tactics || cfg.ECH || len(cfg.Fronts) != 1 || cfg.Fronts[0].Front != "cdn.example" {
		t.Errorf("after the switches: tactics %v, ECH %v, fronts %v", cfg.Tactics, cfg.ECH, cfg.Fronts)
	}
	conn.Fronts = []string{"news.example"}
	if err := a.SetConnection(ctx, conn); !errors.Is(err, transport.ErrBadFront) {
		t.Errorf("a bad front: %v", err)
	}
	if err := a.store.SetSetting(ctx, keyTactics, "maybe"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNetwork(ctx, a.store); err == nil {
		t.Error("a bad tactics setting read without complaint")
	}
}

// The proxy Windows's settings name (v2rayN, Clash and Psiphon set it)
// is offered first by the first run, and is a route as the environment's
// proxies are; a PAC script is not followed.
func TestSystemProxy(t *testing.T) {
	sys, errs := transport.ParseWinINET(1, "socks=127.0.0.1:10808", "<local>", "http://127.0.0.1:7777/pac")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a, err := Open(context.Background(), t.TempDir(), Options{Version: "test",
		SystemProxy: func() (transport.SystemProxy, []error) { return sys, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	found := a.FindProxies(ctx)
	if len(found) == 0 || found[0].URL != "socks5://127.0.0.1:10808" || found[0].Tool != SystemProxyTool {
		t.Fatalf("found %+v; want the system's proxy first", found)
	}
	cfg, err := a.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.EnvProxies) != 1 || cfg.EnvProxies[0].Route() != "socks5://127.0.0.1:10808" || cfg.NoProxy != "<local>" {
		t.Errorf("routes from the system: %v, not for %q", cfg.EnvProxies, cfg.NoProxy)
	}
}
