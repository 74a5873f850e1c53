package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

func TestTransportSetShow(t *testing.T) {
	k := newKB(t)
	out := k.must(0, "transport", "set", "--proxy", "socks5://reader:hunter2@127.0.0.1:9050", "--proxy", "http://127.0.0.1:8118",
		"--doh", "https://127.0.0.1:8443/dns-query", "--trust", "10.66.0.0/16")
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "socks5://reader:***@127.0.0.1:9050") {
		t.Errorf("set output: %s", out)
	}
	var show map[string]any
	k.json(&show, "transport", "show", "--json")
	hasKeys(t, "transport show", show, "mode", "proxies", "doh", "env_proxies", "no_proxy", "trusted", "routes")
	raw, _ := json.Marshal(show)
	if strings.Contains(string(raw), "hunter2") {
		t.Errorf("password shown: %s", raw)
	}
	if show["mode"] != "auto" || len(show["proxies"].([]any)) != 2 || show["trusted"].([]any)[0] != "10.66.0.0/16" ||
		show["doh"].([]any)[0] != "https://127.0.0.1:8443/dns-query" {
		t.Errorf("show: %v", show)
	}
	routes := strings.Join(strings.Fields(strings.Trim(strings.ReplaceAll(string(mustMarshal(show["routes"])), ",", " "), "[]")), " ")
	for _, want := range []string{`"direct"`, `"doh"`, `"socks5://127.0.0.1:9050"`, `"http://127.0.0.1:8118"`} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes %s lack %s", routes, want)
		}
	}

	k.must(0, "transport", "set", "--mode", "proxy")
	k.json(&show, "transport", "show", "--json")
	if r := show["routes"].([]any); len(r) != 2 {
		t.Errorf("strict mode routes: %v (only the two proxies)", r)
	}
	out = k.must(0, "transport", "show")
	if !strings.Contains(out, "nothing else leaves this computer") {
		t.Errorf("show for people: %s", out)
	}

	for _, args := range [][]string{
		{"transport", "set", "--mode", "sideways"},
		{"transport", "set", "--proxy", "gopher://x:1"},
		{"transport", "set", "--proxy", "off"},                             // strict mode without a proxy
		{"transport", "set", "--proxy", "socks5://proxy.example.org:1080"}, // strict mode needs an address
		{"transport", "set", "--doh", "http://insecure/dns"},
		{"transport", "set", "--trust", "10.66/16"},
		{"transport", "set"},
		{"transport", "frob"},
	} {
		code, _, errs := k.run(args...)
		if code != 2 || strings.Contains(errs, "hunter2") {
			t.Errorf("%v: exit %d, %s", args, code, errs)
		}
	}
	// The failed sets changed nothing.
	k.json(&show, "transport", "show", "--json")
	if show["mode"] != "proxy" || len(show["proxies"].([]any)) != 2 {
		t.Errorf("a refused set changed the settings: %v", show)
	}
	k.must(0, "transport", "set", "--mode", "auto", "--proxy", "off", "--doh", "default", "--trust", "off")
	k.json(&show, "transport", "show", "--json")
	if len(show["proxies"].([]any)) != 0 || len(show["doh"].([]any)) != 3 || len(show["trusted"].([]any)) != 0 {
		t.Errorf("after reset: %v", show)
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestDiagnose(t *testing.T) {
	ns := newNewsServer(t)
	k := newKB(t)
	var d struct {
		URL    string
		Routes []map[string]any
	}
	k.json(&d, "diagnose", ns.URL+"/feed/", "--json")
	if len(d.Routes) != 1 {
		t.Fatalf("routes: %v", d.Routes)
	}
	r := d.Routes[0]
	hasKeys(t, "diagnosis", r, "route", "url", "ok", "verdict", "dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "total_ms")
	if r["route"] != "direct" || r["ok"] != true || r["status"] != 200.0 || r["first_byte_ms"].(float64) <= 0 {
		t.Errorf("diagnosis: %v", r)
	}
	code, out, _ := k.run("diagnose", ns.URL+"/missing")
	if code != 1 || !strings.Contains(out, "http-status") {
		t.Errorf("exit %d: %s", code, out)
	}
}

// TestWindowConnectionSettings: the window's settings go through transport
// set, keep a password shown as ***, and refuse what transport set refuses.
func TestWindowConnectionSettings(t *testing.T) {
	k := newKB(t)
	k.must(0, "transport", "set", "--proxy", "socks5://reader:hunter2@127.0.0.1:9050")
	c, st := k.open(t)
	ctx := context.Background()
	cn := connection{c: c, store: st}
	conn, err := cn.Connection(ctx)
	if err != nil || conn.Mode != "auto" || len(conn.Proxies) != 1 || conn.Proxies[0] != "socks5://reader:***@127.0.0.1:9050" || conn.DoH {
		t.Fatalf("connection: %+v, %v", conn, err)
	}
	conn.Mode = "proxy"
	conn.DoH, conn.Resolvers, conn.Bridges = true, []string{"https://127.0.0.1:8443/dns-query"}, []string{"https://rsshub.example/"}
	if err := cn.SetConnection(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if again, _ := cn.Connection(ctx); len(again.Resolvers) != 1 || again.Resolvers[0] != "https://127.0.0.1:8443/dns-query" ||
		len(again.Bridges) != 1 || again.Bridges[0] != "https://rsshub.example" {
		t.Errorf("resolvers and bridges: %+v", again)
	}
	ns, _ := loadNetSettings(ctx, st)
	if ns.Mode != "proxy" || ns.Proxies[0].URL() != "socks5://reader:hunter2@127.0.0.1:9050" {
		t.Errorf("saved: %v %v (the password must be kept)", ns.Mode, ns.Proxies)
	}
	conn.Proxies = nil // strict mode without a proxy
	if err := cn.SetConnection(ctx, conn); err == nil || !strings.Contains(err.Error(), "needs a proxy") {
		t.Errorf("strict without proxy: %v", err)
	}
	if _, err := cn.TestConnection(ctx, ""); err == nil {
		t.Error("a test with no source to try passed")
	}
	// Refusals keep their type, for the window to say them in the reader's
	// language.
	conn.Mode = "auto"
	conn.Proxies = []string{"socks5://127.0.0.1:notaport"}
	if err := cn.SetConnection(ctx, conn); !errors.Is(err, transport.ErrBadProxy) {
		t.Errorf("bad proxy: %v", err)
	}
	conn.Proxies, conn.Resolvers = nil, []string{"ftp://dns.example"}
	if err := cn.SetConnection(ctx, conn); !errors.Is(err, transport.ErrBadDoH) {
		t.Errorf("bad resolver: %v", err)
	}
}

func TestReadingSettings(t *testing.T) {
	k := newKB(t)
	_, st := k.open(t)
	ctx := context.Background()
	if r, err := loadReading(ctx, st); err != nil || r.Theme != "system" || r.Scale != 1 {
		t.Errorf("defaults: %+v %v", r, err)
	}
	st.SetSetting(ctx, settingTheme, "dark")
	st.SetSetting(ctx, settingTextScale, "1.30")
	st.SetSetting(ctx, settingLanguage, "fa")
	if r, _ := loadReading(ctx, st); r.Theme != "dark" || r.Scale != 1.3 || r.Language != "fa" {
		t.Errorf("stored: %+v", r)
	}
	st.SetSetting(ctx, settingTheme, "purple")
	st.SetSetting(ctx, settingTextScale, "huge")
	if r, _ := loadReading(ctx, st); r.Theme != "system" || r.Scale != 1 {
		t.Errorf("bad values not ignored: %+v", r)
	}
}

func TestStorageSettings(t *testing.T) {
	k := newKB(t)
	_, st := k.open(t)
	ctx := context.Background()
	s := storage{store: st}
	got, err := s.Storage(ctx)
	if err != nil || got.RetentionDays != 90 || got.PerSource != 500 || got.MediaMB != 500 || got.RefreshMinutes != 30 ||
		got.Size == 0 || !strings.HasSuffix(got.Path, "kabootar.db") {
		t.Fatalf("defaults: %+v %v", got, err)
	}
	got.RetentionDays, got.PerSource, got.MediaMB, got.RefreshMinutes = 30, 100, 50, 0
	if err := s.SetStorage(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Storage(ctx); again.RetentionDays != 30 || again.PerSource != 100 || again.MediaMB != 50 || again.RefreshMinutes != 0 {
		t.Errorf("after set: %+v", again)
	}
}

func TestNotifySettings(t *testing.T) {
	k := newKB(t)
	_, st := k.open(t)
	ctx := context.Background()
	n := notifySettings{store: st}
	if m, err := n.NotifySources(ctx); err != nil || len(m) != 0 {
		t.Fatalf("by default none: %v %v", m, err)
	}
	n.SetNotify(ctx, 3, true)
	n.SetNotify(ctx, 7, true)
	n.SetNotify(ctx, 3, false)
	if m, _ := n.NotifySources(ctx); len(m) != 1 || !m[7] {
		t.Errorf("after changes: %v", m)
	}
	if v, _, _ := st.Setting(ctx, settingNotify); v != "[7]" {
		t.Errorf("stored %q", v)
	}
}

// open is a cli on the test's data directory and its store, closed when
// the test ends: what the window's settings work on.
func (k *kb) open(t *testing.T) (*cli, *cache.Store) {
	t.Helper()
	c := &cli{stdout: io.Discard, stderr: io.Discard, getenv: func(key string) string {
		if key == "KABOOTAR_DATA" {
			return k.data
		}
		return ""
	}}
	c.setupLog()
	st, err := c.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return c, st
}
