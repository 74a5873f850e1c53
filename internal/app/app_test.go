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
