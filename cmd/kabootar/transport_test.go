package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/internal/cache"
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
	a, err := c.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return c, a.Store()
}

// Kabootar's Tor is set with transport set --tor and --bridge, bad values
// refused naming them; tor status says what is there.
func TestTorCommands(t *testing.T) {
	k := newKB(t)
	if out := k.must(0, "transport", "show"); !strings.Contains(out, "Tor:     off") {
		t.Errorf("show: %q", out)
	}
	k.must(0, "transport", "set", "--tor", "auto", "--bridge", "obfs4", "--bridge", "obfs4 192.0.2.1:443 2B280B23E1107BB62ABFC40DDCC8824814F80A72 cert=abc iat-mode=0")
	var show struct {
		Tor        string   `json:"tor"`
		TorBridges []string `json:"tor_bridges"`
	}
	k.json(&show, "transport", "show", "--json")
	if show.Tor != "auto" || len(show.TorBridges) != 2 || show.TorBridges[0] != "obfs4" {
		t.Errorf("show --json: %+v", show)
	}
	k.must(0, "transport", "set", "--tor", "off")
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"transport", "set", "--tor", "sometimes"}, "auto, always or off"},
		{[]string{"transport", "set", "--bridge", "obfs4 192.0.2.1"}, "IP:PORT"},
		{[]string{"transport", "set", "--bridge", "none", "--bridge", "obfs4"}, "none"},
		{[]string{"transport", "set", "--bridge", "vmess 192.0.2.1:443"}, "vmess"},
		{[]string{"tor"}, "tor status"},
		{[]string{"tor", "fly"}, "unknown tor command"},
	} {
		code, _, errOut := k.run(tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.says) {
			t.Errorf("%v: exit %d, %q; want 2 saying %q", tt.args, code, errOut, tt.says)
		}
	}
	// Strict mode needs a proxy, or Kabootar's Tor always.
	k.must(0, "transport", "set", "--mode", "proxy", "--proxy", "off", "--tor", "always")
	k.must(0, "transport", "set", "--mode", "auto", "--tor", "off")
	// Status, with tor missing ($KABOOTAR_TOR naming none).
	k.env = map[string]string{"KABOOTAR_TOR": "/nonexistent/tor"}
	var st struct {
		Installed bool
		Running   bool
		Mode      string
	}
	k.json(&st, "tor", "status", "--json")
	if st.Installed || st.Running || st.Mode != "off" {
		t.Errorf("status: %+v", st)
	}
	if out := k.must(0, "tor", "status"); !strings.Contains(out, "apt install tor") {
		t.Errorf("status without tor: %q", out)
	}
	if out := k.must(0, "tor", "stop"); !strings.Contains(out, "No Tor of Kabootar's is running") {
		t.Errorf("stop with none: %q", out)
	}
}
