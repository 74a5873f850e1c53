package app

import (
	"context"
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
	if err != nil || !conn.Tactics {
		t.Fatalf("by default: tactics %v, %v", conn.Tactics, err)
	}
	if cfg, _ := a.Config(ctx); !cfg.Tactics {
		t.Error("the default configuration has no tactics")
	}
	conn.Tactics = false
	if err := a.SetConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if cfg, _ := a.Config(ctx); cfg.Tactics {
		t.Error("tactics still on after the switch")
	}
	if err := a.store.SetSetting(ctx, keyTactics, "maybe"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNetwork(ctx, a.store); err == nil {
		t.Error("a bad tactics setting read without complaint")
	}
}
