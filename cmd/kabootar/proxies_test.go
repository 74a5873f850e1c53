package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/transport"
)

// Real proxies from Debian's packages, as users run them: microsocks
// (SOCKS5, with and without a password) and tinyproxy (HTTP). .ci/run
// installs both, so CI never skips these.

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// startDaemon runs a proxy binary until the test ends, and waits for its
// port to answer.
func startDaemon(t *testing.T, port string, name string, args ...string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (apt-get install %s); .ci/run installs it", name, name)
	}
	var out bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not start listening on %s: %s", name, port, out.String())
}

func refreshVia(t *testing.T, k *kb, wantCode int) map[string]any {
	t.Helper()
	code, out, errs := k.run("refresh", "--json")
	if code != wantCode {
		t.Fatalf("refresh: exit %d, want %d\n%s\n%s", code, wantCode, out, errs)
	}
	var r struct{ Sources []map[string]any }
	if err := jsonUnmarshal(out, &r); err != nil || len(r.Sources) != 1 {
		t.Fatalf("refresh output: %v\n%s", err, out)
	}
	return r.Sources[0]
}

func TestRealProxies(t *testing.T) {
	ns := newNewsServer(t)
	feed := ns.URL + "/en/atom"

	t.Run("microsocks", func(t *testing.T) {
		port := freePort(t)
		startDaemon(t, port, "microsocks", "-i", "127.0.0.1", "-p", port)
		k := newKB(t)
		k.must(0, "transport", "set", "--mode", "proxy", "--proxy", "socks5://127.0.0.1:"+port)
		k.must(0, "sources", "add", feed)
		s := refreshVia(t, k, 0)
		if s["ok"] != true || s["route"] != "socks5://127.0.0.1:"+port || s["new"] != 1.0 {
			t.Errorf("via microsocks: %v", s)
		}
	})
	t.Run("microsocks with a password", func(t *testing.T) {
		port := freePort(t)
		startDaemon(t, port, "microsocks", "-i", "127.0.0.1", "-p", port, "-u", "reader", "-P", "s3cret-pw")
		k := newKB(t)
		k.must(0, "transport", "set", "--mode", "proxy", "--proxy", "socks5://reader:wrong-pw@127.0.0.1:"+port)
		code, _, errs := k.run("sources", "add", feed)
		if code != 1 || !strings.Contains(errs, "refused the user name or password") || !strings.Contains(errs, "transport show") {
			t.Errorf("add through a proxy that refuses: exit %d, %s", code, errs)
		}
		s := refreshVia(t, k, 1)
		if s["ok"] != false || !strings.Contains(fmt.Sprint(s["verdicts"]), "proxy-auth") {
			t.Errorf("wrong password: %v", s)
		}
		k.must(0, "transport", "set", "--proxy", "socks5://reader:s3cret-pw@127.0.0.1:"+port)
		s = refreshVia(t, k, 0)
		if s["ok"] != true || s["route"] != "socks5://127.0.0.1:"+port {
			t.Errorf("right password: %v", s)
		}
		k.must(0, "transport", "set", "--proxy", "socks5://reader:wrong-pw@127.0.0.1:"+port, "--proxy", "socks5://reader:s3cret-pw@127.0.0.1:"+port)
		for _, args := range [][]string{{"transport", "show"}, {"transport", "show", "--json"}, {"--verbose", "refresh", "--json"},
			{"--verbose", "diagnose", feed}, {"sources", "list", "--json"}, {"opml", "export", "-"}} {
			_, out, errs := k.run(args...)
			if strings.Contains(out+errs, "s3cret") || strings.Contains(out+errs, "wrong-pw") {
				t.Errorf("%v shows the password", args)
			}
		}
	})
	t.Run("tinyproxy", func(t *testing.T) {
		port := freePort(t)
		conf := filepath.Join(t.TempDir(), "tinyproxy.conf")
		os.WriteFile(conf, []byte(fmt.Sprintf("Port %s\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nLogLevel Critical\nMaxClients 20\n", port)), 0o600)
		startDaemon(t, port, "tinyproxy", "-d", "-c", conf)
		k := newKB(t)
		k.must(0, "transport", "set", "--mode", "proxy", "--proxy", "http://127.0.0.1:"+port)
		k.must(0, "sources", "add", feed)
		s := refreshVia(t, k, 0)
		if s["ok"] != true || s["route"] != "http://127.0.0.1:"+port || s["new"] != 1.0 {
			t.Errorf("via tinyproxy: %v", s)
		}
	})
	t.Run("strict mode with the proxy down", func(t *testing.T) {
		k := newKB(t)
		k.must(0, "sources", "add", feed)
		k.must(0, "refresh")
		port := freePort(t)
		k.must(0, "transport", "set", "--mode", "proxy", "--proxy", "socks5://127.0.0.1:"+port)
		start := time.Now()
		s := refreshVia(t, k, 1)
		if s["ok"] != false || !strings.Contains(fmt.Sprint(s["verdicts"]), "proxy-unreachable") || s["route"] != "" {
			t.Errorf("proxy down: %v", s)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("took %v to give up", time.Since(start))
		}
		if out := k.must(0, "articles"); !strings.Contains(out, "Atom entry") {
			t.Errorf("cached articles lost: %s", out)
		}
	})
}

// The first run's search for local proxies, against the real programs: a
// microsocks is found (and one with a password is said to want it); an
// HTTP proxy on a SOCKS port is not taken for SOCKS, and on an HTTP port
// (v2rayN's 10809) a tinyproxy is found as what it is.
func TestFindRealLocalProxies(t *testing.T) {
	open, locked, web, none := freePort(t), freePort(t), freePort(t), freePort(t)
	startDaemon(t, open, "microsocks", "-i", "127.0.0.1", "-p", open)
	startDaemon(t, locked, "microsocks", "-i", "127.0.0.1", "-p", locked, "-u", "reader", "-P", "s3cret-pw")
	conf := filepath.Join(t.TempDir(), "tinyproxy.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("Port %s\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nLogLevel Critical\nMaxClients 20\n", web)), 0o600)
	startDaemon(t, web, "tinyproxy", "-d", "-c", conf)

	got := transport.FindLocalProxies(context.Background(), []transport.LocalCandidate{
		{Addr: "127.0.0.1:" + open, Tool: "Tor"}, {Addr: "127.0.0.1:" + locked, Tool: "Clash"},
		{Addr: "127.0.0.1:" + web, Tool: "web"}, {Addr: "127.0.0.1:" + none, Tool: "none"},
		{Addr: "127.0.0.1:" + web, Tool: "tinyproxy", HTTP: true}, {Addr: "127.0.0.1:" + open, Tool: "socks as http", HTTP: true},
	}, func(string) string { return "" }, nil)
	if len(got) != 3 || got[0].Proxy.Route() != "socks5://127.0.0.1:"+open || got[0].NeedsPassword ||
		got[1].Proxy.Route() != "socks5://127.0.0.1:"+locked || !got[1].NeedsPassword ||
		got[2].Proxy.Route() != "http://127.0.0.1:"+web || got[2].Tool != "tinyproxy" {
		t.Errorf("found %+v", got)
	}
}
