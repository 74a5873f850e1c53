package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/transport"
)

func openTest(t *testing.T) *App {
	t.Helper()
	a, err := Open(context.Background(), t.TempDir(), Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// The window's connection settings keep a password shown as ***, and
// refuse what transport set refuses, with the refusal's type.
func TestConnectionSettings(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	p, err := transport.ParseProxy("socks5://reader:hunter2@127.0.0.1:9050")
	if err != nil {
		t.Fatal(err)
	}
	n := DefaultNetwork()
	n.Proxies, n.DoHOff = []transport.Proxy{p}, true
	if err := n.Save(ctx, a.store); err != nil {
		t.Fatal(err)
	}
	conn, err := a.Connection(ctx)
	if err != nil || conn.Mode != "auto" || len(conn.Proxies) != 1 || conn.Proxies[0] != "socks5://reader:***@127.0.0.1:9050" || conn.DoH {
		t.Fatalf("connection: %+v, %v", conn, err)
	}
	conn.Mode = "proxy"
	conn.DoH, conn.Resolvers, conn.Bridges = true, []string{"https://127.0.0.1:8443/dns-query"}, []string{"https://rsshub.example/"}
	if err := a.SetConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if again, _ := a.Connection(ctx); len(again.Resolvers) != 1 || again.Resolvers[0] != "https://127.0.0.1:8443/dns-query" ||
		len(again.Bridges) != 1 || again.Bridges[0] != "https://rsshub.example" {
		t.Errorf("resolvers and bridges: %+v", again)
	}
	ns, _ := LoadNetwork(ctx, a.store)
	if ns.Mode != "proxy" || ns.Proxies[0].URL() != "socks5://reader:hunter2@127.0.0.1:9050" {
		t.Errorf("saved: %v %v (the password must be kept)", ns.Mode, ns.Proxies)
	}
	conn.Proxies = nil // strict mode without a proxy
	if err := a.SetConnection(ctx, conn); !errors.Is(err, ErrStrict) || !strings.Contains(err.Error(), "needs a proxy") {
		t.Errorf("strict without proxy: %v", err)
	}
	if _, err := a.TestConnection(ctx, ""); !errors.Is(err, ErrNothingToTest) {
		t.Errorf("a test with no source to try: %v", err)
	}
	conn.Mode = "auto"
	conn.Proxies = []string{"socks5://127.0.0.1:notaport"}
	if err := a.SetConnection(ctx, conn); !errors.Is(err, transport.ErrBadProxy) {
		t.Errorf("bad proxy: %v", err)
	}
	conn.Proxies, conn.Resolvers = nil, []string{"ftp://dns.example"}
	if err := a.SetConnection(ctx, conn); !errors.Is(err, transport.ErrBadDoH) {
		t.Errorf("bad resolver: %v", err)
	}
	// None of the refused saves changed what was stored.
	if again, _ := LoadNetwork(ctx, a.store); again.Mode != "proxy" || len(again.Proxies) != 1 || len(again.DoH) != 1 {
		t.Errorf("a refused save changed the settings: %+v", again)
	}
}

// A failed save leaves none of its keys changed.
func TestNetworkSaveAllOrNothing(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	p, _ := transport.ParseProxy("socks5://127.0.0.1:9050")
	n := DefaultNetwork()
	n.Proxies, n.Bridges = []transport.Proxy{p}, []string{"https://rsshub.example"}
	if err := n.Save(ctx, a.store); err != nil {
		t.Fatal(err)
	}
	named, _ := transport.ParseProxy("socks5://proxy.example:1080")
	bad := n
	bad.Mode, bad.Proxies, bad.Bridges, bad.DoHOff = transport.ModeProxy, []transport.Proxy{named}, nil, true
	if err := bad.Save(ctx, a.store); !errors.Is(err, ErrStrict) {
		t.Fatalf("a proxy by name in strict mode: %v", err)
	}
	got, err := LoadNetwork(ctx, a.store)
	if err != nil || got.Mode != transport.ModeAuto || len(got.Proxies) != 1 || got.Proxies[0].URL() != p.URL() ||
		len(got.Bridges) != 1 || got.DoHOff {
		t.Errorf("after a refused save: %+v, %v", got, err)
	}
	// A bad key is reported and left at its default; the others are read.
	a.store.SetSetting(ctx, keyMode, "sideways")
	got, err = LoadNetwork(ctx, a.store)
	if !errors.Is(err, ErrSettings) || got.Mode != transport.ModeAuto || len(got.Proxies) != 1 {
		t.Errorf("a bad mode: %+v, %v", got, err)
	}
}

func TestReadingSettings(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	st := a.store
	if r, err := LoadReading(ctx, st); err != nil || r.Theme != "system" || r.Scale != 1 {
		t.Errorf("defaults: %+v %v", r, err)
	}
	st.SetSetting(ctx, keyTheme, "dark")
	st.SetSetting(ctx, keyTextScale, "1.30")
	st.SetSetting(ctx, keyLanguage, "fa")
	if r, _ := LoadReading(ctx, st); r.Theme != "dark" || r.Scale != 1.3 || r.Language != "fa" {
		t.Errorf("stored: %+v", r)
	}
	st.SetSetting(ctx, keyTheme, "purple")
	st.SetSetting(ctx, keyTextScale, "huge")
	if r, _ := LoadReading(ctx, st); r.Theme != "system" || r.Scale != 1 {
		t.Errorf("bad values not ignored: %+v", r)
	}
	if err := (Reading{Theme: "purple", Scale: 1}).Save(ctx, st); err == nil {
		t.Error("a theme the window does not have was saved")
	}
}

func TestStorageSettings(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	got, err := a.Storage(ctx)
	if err != nil || got.RetentionDays != 90 || got.PerSource != 500 || got.MediaMB != 500 || got.RefreshMinutes != 30 ||
		got.Size == 0 || !strings.HasSuffix(got.Path, "kabootar.db") {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	got.RetentionDays, got.PerSource, got.MediaMB, got.RefreshMinutes = 30, 100, 50, 0
	if err := a.SetStorage(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := a.Storage(ctx); again.RetentionDays != 30 || again.PerSource != 100 || again.MediaMB != 50 || again.RefreshMinutes != 0 {
		t.Errorf("after set: %+v", again)
	}
	got.RetentionDays, got.MediaMB = 7, -1
	if err := a.SetStorage(ctx, got); err == nil {
		t.Error("a negative budget was saved")
	}
	if again, _ := a.Storage(ctx); again.RetentionDays != 30 || again.MediaMB != 50 {
		t.Errorf("a refused save changed the settings: %+v", again)
	}
}

func TestNotifySettings(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	if m, err := a.NotifySources(ctx); err != nil || len(m) != 0 {
		t.Fatalf("by default none: %v %v", m, err)
	}
	a.SetNotify(ctx, 3, true)
	a.SetNotify(ctx, 7, true)
	a.SetNotify(ctx, 3, false)
	if m, _ := a.NotifySources(ctx); len(m) != 1 || !m[7] {
		t.Errorf("after changes: %v", m)
	}
	if v, _, _ := a.store.Setting(ctx, keyNotify); v != "[7]" {
		t.Errorf("stored %q", v)
	}
}

func TestWindowSettings(t *testing.T) {
	a := openTest(t)
	ctx := context.Background()
	if s, err := a.Window(ctx); err != nil || s != (WindowState{}) {
		t.Fatalf("default: %+v %v", s, err)
	}
	want := WindowState{Width: 1000, Height: 700, Lists: 0.3, Main: 0.6, SourceID: 4}
	if err := a.SaveWindow(ctx, want); err != nil {
		t.Fatal(err)
	}
	if s, _ := a.Window(ctx); s != want {
		t.Errorf("saved %+v, read %+v", want, s)
	}
	if err := a.SaveWindow(ctx, WindowState{Lists: 3}); err == nil {
		t.Error("an offset past 1 was saved")
	}
	a.store.SetSetting(ctx, keyWindow, "{broken")
	if s, err := a.Window(ctx); err != nil || s != (WindowState{}) {
		t.Errorf("a broken state: %+v %v (want the default)", s, err)
	}
}
