//go:build !windows

package tor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// realTor is Debian's tor; CI installs it (scripts/deps.sh test).
func realTor(t *testing.T) string {
	t.Helper()
	bin, err := FindTor(exec.LookPath)
	if err != nil {
		t.Skipf("%v (CI installs it)", err)
	}
	return bin
}

// gone says whether the process has ended (signal 0 reaches no process).
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// noNetwork keeps a test's Tor on this machine: a private network whose
// one authority is a closed loopback port. It can never bootstrap.
var noNetwork = []string{"TestingTorNetwork 1", "UseDefaultFallbackDirs 0",
	"DirAuthority lab orport=1 no-v2 v3ident=0000000000000000000000000000000000000000 127.0.0.1:1 0000000000000000000000000000000000000000"}

// A real Tor that never leaves this machine: it starts, answers its
// control port, stalls at its first phase, and stops; no process is left.
func TestRealTorLifecycle(t *testing.T) {
	bin := realTor(t)
	ctx := context.Background()
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "tor data"), OwnerPID: os.Getpid(), Extra: noNetwork}
	p, err := Start(ctx, bin, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	t.Cleanup(func() {
		if !gone(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if !strings.HasPrefix(p.Socks(), "127.0.0.1:") || p.Socks() == "127.0.0.1:0" {
		t.Errorf("socks %q", p.Socks())
	}
	pr, err := p.Progress(ctx)
	if err != nil || pr.Percent >= 100 {
		t.Errorf("progress %+v, %v", pr, err)
	}
	var seen []Progress
	err = p.WaitBootstrapped(ctx, time.Second, func(pr Progress) { seen = append(seen, pr) })
	var se *StalledError
	if !errors.As(err, &se) || len(seen) == 0 || !strings.Contains(err.Error(), "stuck at") {
		t.Errorf("a Tor with its network off: %v (seen %+v)", err, seen)
	}
	p.Stop()
	if !gone(pid) {
		t.Errorf("tor %d is still running after Stop", pid)
	}
}

// Closing the control connection ends Tor (TAKEOWNERSHIP): a Kabootar
// that crashes leaves none behind.
func TestRealTorOwned(t *testing.T) {
	bin := realTor(t)
	p, err := Start(context.Background(), bin, Config{DataDir: t.TempDir(), Extra: noNetwork})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	p.ctl.Close()
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("tor outlived its controller")
	}
}

// A Tor that cannot start says why, in its own words, and is not left
// running.
func TestRealTorFails(t *testing.T) {
	bin := realTor(t)
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	for name, cfg := range map[string]Config{
		"a bad torrc":              {DataDir: t.TempDir(), Extra: append([]string{"NoSuchOption 1"}, noNetwork...)},
		"a folder it cannot write": {DataDir: filepath.Join(file, "tor")},
	} {
		_, err := Start(context.Background(), bin, cfg)
		var fe *FailedError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := Start(context.Background(), "/nonexistent/tor", Config{DataDir: t.TempDir()}); err == nil {
		t.Error("a missing program started")
	}
}
