//go:build !windows

package app

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/tor"
)

// noNetworkTor keeps a test's Tor on this machine: a private network
// whose one authority is a closed loopback port (it never bootstraps).
func noNetworkTor(t *testing.T, a *App) {
	t.Helper()
	if _, err := exec.LookPath("tor"); err != nil {
		t.Skip("tor is not installed (CI installs it)")
	}
	path := filepath.Join(t.TempDir(), "extra.torrc")
	os.WriteFile(path, []byte("TestingTorNetwork 1\nUseDefaultFallbackDirs 0\n"+
		"DirAuthority lab orport=1 no-v2 v3ident=0000000000000000000000000000000000000000 127.0.0.1:1 0000000000000000000000000000000000000000\n"), 0o600)
	a.getenv = func(k string) string {
		if k == torExtraEnv {
			return path
		}
		return ""
	}
	ctx := context.Background()
	n, _ := LoadNetwork(ctx, a.store)
	n.TorBridges = []string{"none"}
	if err := n.Save(ctx, a.store); err != nil {
		t.Fatal(err)
	}
}

func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// A Tor that cannot get through stalls, is said to (tor-stalled PHASE),
// and is not left running.
func TestTorStallsAndStops(t *testing.T) {
	a := openTest(t)
	noNetworkTor(t, a)
	a.tor.stall = time.Second
	ctx := context.Background()
	if err := a.StartTor(ctx); err != nil {
		t.Fatal(err)
	}
	st := a.TorStatus(ctx)
	if !st.Running || st.PID == 0 {
		t.Fatalf("status %+v", st)
	}
	_, err := a.WaitTor(ctx, 30*time.Second)
	var stalled *tor.StalledError
	if !errors.As(err, &stalled) || !strings.HasPrefix(TorVerdict(err), "tor-stalled ") {
		t.Errorf("WaitTor = %v (verdict %q)", err, TorVerdict(err))
	}
	deadline := time.Now().Add(10 * time.Second)
	for !gone(st.PID) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if !gone(st.PID) {
		t.Errorf("the stalled tor %d is still running", st.PID)
	}
}

// Close stops Kabootar's Tor: none is left when Kabootar quits.
func TestCloseStopsTor(t *testing.T) {
	a, err := Open(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	noNetworkTor(t, a)
	if err := a.StartTor(context.Background()); err != nil {
		t.Fatal(err)
	}
	pid := a.TorStatus(context.Background()).PID
	a.Close()
	if !gone(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("tor %d outlived Close", pid)
	}
}

// A Tor killed mid-bootstrap (it crashed) is forgotten and said: its
// route never comes, and the next start starts another.
func TestTorCrashIsForgotten(t *testing.T) {
	a := openTest(t)
	noNetworkTor(t, a)
	ctx := context.Background()
	if err := a.StartTor(ctx); err != nil {
		t.Fatal(err)
	}
	pid := a.TorStatus(ctx).PID
	syscall.Kill(pid, syscall.SIGKILL)
	_, err := a.WaitTor(ctx, 10*time.Second)
	var fe *tor.FailedError
	if !errors.As(err, &fe) || TorVerdict(err) != "tor-failed" {
		t.Errorf("after the crash: %v", err)
	}
	if st := a.TorStatus(ctx); st.Running || a.torSocks() != "" {
		t.Fatalf("a killed tor is still taken for running: %+v", st)
	}
	if err := a.StartTor(ctx); err != nil {
		t.Fatal(err)
	}
	if st := a.TorStatus(ctx); st.PID == 0 || st.PID == pid {
		t.Errorf("no new tor after the crash: %+v", st)
	}
}

// Tor missing, a bad bridge line, a transport not installed: each said in
// plain words, with its verdict, and nothing started.
func TestTorBadInput(t *testing.T) {
	ctx := context.Background()
	a := openTest(t)
	t.Setenv("PATH", t.TempDir())
	err := a.StartTor(ctx)
	if !errors.Is(err, tor.ErrMissing) || TorVerdict(err) != "tor-missing" || !strings.Contains(err.Error(), "apt install tor") {
		t.Errorf("tor missing: %v", err)
	}
	if st := a.TorStatus(ctx); st.Installed || st.Running {
		t.Errorf("status %+v", st)
	}
	// $KABOOTAR_TOR naming a program that is not there reads as missing.
	b := openTest(t)
	b.getenv = func(k string) string {
		if k == torProgramEnv {
			return "/nonexistent/tor"
		}
		return ""
	}
	if err := b.StartTor(ctx); !errors.Is(err, tor.ErrMissing) || !strings.Contains(err.Error(), "KABOOTAR_TOR") {
		t.Errorf("$KABOOTAR_TOR missing: %v", err)
	}
	for _, list := range [][]string{{"obfs4 1.2.3.4"}, {"none", "obfs4"}, {"vmess"}} {
		if err := CheckTorBridges(list); err == nil {
			t.Errorf("%q taken", list)
		}
	}
	n := DefaultNetwork()
	n.TorBridges = []string{"obfs4 1.2.3.4:443 cert=abc"}
	if _, err := resolveBridges(n.TorBridges, tor.Transports{}); err != nil {
		t.Errorf("a pasted line is kept for the torrc to judge: %v", err)
	}
	if _, err := resolveBridges([]string{"snowflake"}, tor.Transports{}); err == nil || !strings.Contains(err.Error(), "install") {
		t.Errorf("no transport installed: %v", err)
	}
}

// A Tor the reader already runs (9050) is used, and none started.
func TestTorReused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:9050")
	if err != nil {
		t.Skipf("port 9050 is taken here: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b := make([]byte, 3)
			c.Read(b)
			c.Write([]byte{5, 0})
			c.Close()
		}
	}()
	a := openTest(t)
	if err := a.StartTor(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := a.TorStatus(context.Background()); st.Reused != "127.0.0.1:9050" || st.PID != 0 {
		t.Errorf("status %+v: want the reader's Tor used, none started", st)
	}
	if s, err := a.WaitTor(context.Background(), time.Second); err != nil || s != "127.0.0.1:9050" {
		t.Errorf("WaitTor = %q, %v", s, err)
	}
}
