package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kabootar/kabootar/internal/tor"
	"github.com/kabootar/kabootar/internal/transport"
)

// Kabootar's own Tor: started when everything else failed (auto) or with
// Kabootar (always), in a folder of the data directory, on free loopback
// ports; it lives with the process (Close stops it; a crash takes it
// along) and becomes the route "tor" once bootstrapped.

// torExtraEnv names a torrc fragment appended to Kabootar's Tor: the
// censorship lab's private Tor network (its authorities). Not for readers.
const torExtraEnv = "KABOOTAR_TORRC_EXTRA"

// Bounds of the Tor Kabootar waits for.
const (
	// torStall is how long one bootstrap phase may stand still.
	torStall = 20 * time.Second
	// torWait is how long a refresh whose sources were all refused (the
	// network answers) waits for a starting Tor. One that found the network
	// offline does not wait: it ends within the shutdown bound.
	torWait = 40 * time.Second
)

// torProgramEnv names the tor program to run instead of the one in PATH
// (Tor Browser's, say); one that is not there reads as tor missing.
const torProgramEnv = "KABOOTAR_TOR"

// findTor is the tor program: $KABOOTAR_TOR, else tor in PATH.
func (a *App) findTor() (string, error) {
	if p := a.getenv(torProgramEnv); p != "" {
		if info, err := os.Stat(p); err != nil || info.IsDir() {
			return "", fmt.Errorf("%w: $%s names %s, which is not there; %s", tor.ErrMissing, torProgramEnv, p, tor.Install)
		}
		return p, nil
	}
	return tor.FindTor(exec.LookPath)
}

// torManager is the App's Tor, one at a time.
type torManager struct {
	mu       sync.Mutex
	proc     *tor.Process
	reused   string // a Tor the reader runs, used instead of starting one
	starting bool
	ready    chan struct{} // closed when the bootstrap ended (err says how)
	cancel   context.CancelFunc
	progress tor.Progress
	err      error
	began    time.Time
	took     time.Duration
	// stall bounds one bootstrap phase (torStall; shorter in tests).
	stall time.Duration
}

// TorStatus is where Kabootar's Tor stands.
type TorStatus struct {
	Installed  bool
	Transports tor.Transports
	Mode       string
	Bridges    []string // as set: obfs4, snowflake, none, or lines
	// Running: a Tor of this process, starting or bootstrapped.
	Running  bool
	Reused   string // the reader's own Tor, used instead
	Socks    string
	PID      int
	Progress tor.Progress
	Took     time.Duration // the bootstrap, once done
	Err      error         // why the last start failed
}

// TorStatus says where this process's Tor stands.
func (a *App) TorStatus(ctx context.Context) TorStatus {
	n, _ := LoadNetwork(ctx, a.store)
	_, err := a.findTor()
	st := TorStatus{Installed: err == nil, Transports: tor.FindTransports(exec.LookPath), Mode: n.Tor, Bridges: n.TorBridges}
	m := &a.tor
	m.mu.Lock()
	defer m.mu.Unlock()
	st.Reused, st.Progress, st.Err, st.Took = m.reused, m.progress, m.err, m.took
	if m.proc != nil {
		st.Running, st.PID, st.Socks = true, m.proc.PID(), m.proc.Socks()
	}
	st.Running = st.Running || m.starting
	return st
}

// resolveBridges is the bridge lines of the settings' list: the built-in
// ones of each transport installed, the reader's lines as they are.
func resolveBridges(list []string, tr tor.Transports) ([]tor.Bridge, error) {
	var out []tor.Bridge
	for _, b := range list {
		switch b {
		case "none":
			return nil, nil
		case "obfs4", "snowflake":
			if !tr.Has(b) {
				continue // its transport is not installed: the others are tried
			}
			bs, _ := tor.Builtin(b)
			out = append(out, bs...)
		default:
			br, err := tor.ParseBridge(b)
			if err != nil {
				return nil, err
			}
			out = append(out, br)
		}
	}
	if len(out) == 0 && len(list) > 0 {
		return nil, fmt.Errorf("none of the bridges' transports is installed; %s", tor.Install)
	}
	return out, nil
}

// StartTor starts Kabootar's Tor unless one runs (this process's, or the
// reader's own at 9050 or 9150, which is used instead). It returns once
// tor has started, or failed to; the bootstrap goes on in the background
// (WaitTor, TorStatus).
func (a *App) StartTor(ctx context.Context) error {
	m := &a.tor
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != nil || m.starting || m.reused != "" {
		return nil
	}
	if addr := transport.RunningTor(ctx); addr != "" {
		m.reused = addr
		a.log.Info("using the Tor already running", "addr", addr)
		return nil
	}
	n, err := LoadNetwork(ctx, a.store)
	if err != nil && !errors.Is(err, ErrSettings) {
		return err
	}
	bin, err := a.findTor()
	if err != nil {
		m.err = err
		return err
	}
	trs := tor.FindTransports(exec.LookPath)
	bridges, err := resolveBridges(n.TorBridges, trs)
	if err != nil {
		m.err = err
		return err
	}
	extra, err := torExtra(a.getenv(torExtraEnv))
	if err != nil {
		m.err = err
		return err
	}
	cfg := tor.Config{DataDir: filepath.Join(a.dir, "tor"), Bridges: bridges, Transports: trs, OwnerPID: os.Getpid(), Extra: extra}
	p, err := tor.Start(ctx, bin, cfg)
	if err != nil {
		m.err = err
		return err
	}
	bctx, cancel := context.WithCancel(context.Background())
	m.proc, m.starting, m.ready, m.cancel, m.err, m.began = p, true, make(chan struct{}), cancel, nil, time.Now()
	m.progress = tor.Progress{}
	a.log.Info("started Tor", "pid", p.PID(), "bridges", len(bridges))
	stall := m.stall
	if stall == 0 {
		stall = torStall
	}
	go func() {
		err := p.WaitBootstrapped(bctx, stall, func(pr tor.Progress) {
			m.mu.Lock()
			m.progress = pr
			m.mu.Unlock()
		})
		m.mu.Lock()
		defer m.mu.Unlock()
		m.starting, m.err = false, err
		if err == nil {
			m.took = time.Since(m.began)
			go a.watchTorExit(p)
		} else if m.proc == p {
			// Stalled or failed: nothing is left running.
			go p.Stop()
			m.proc = nil
		}
		close(m.ready)
	}()
	return nil
}

// watchTorExit forgets a Tor that exits on its own (it crashed, or was
// killed): the route goes, and the next StartTor starts another.
func (a *App) watchTorExit(p *tor.Process) {
	<-p.Exited()
	m := &a.tor
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == p {
		m.proc, m.took = nil, 0
		m.err = &tor.FailedError{Why: "it exited while running"}
		a.log.Warn("Kabootar's Tor exited", "pid", p.PID())
	}
}

// torExtra reads the lab's torrc fragment, if any.
func torExtra(path string) ([]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", torExtraEnv, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}

// torSocks is the SOCKS address of a bootstrapped Tor (this process's or
// the reader's own), or "".
func (a *App) torSocks() string {
	m := &a.tor
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reused != "" {
		return m.reused
	}
	if m.proc != nil && !m.starting && m.err == nil {
		return m.proc.Socks()
	}
	return ""
}

// WaitTor waits, at most within, for the Tor started to bootstrap: its
// SOCKS address, or why not.
func (a *App) WaitTor(ctx context.Context, within time.Duration) (string, error) {
	m := &a.tor
	m.mu.Lock()
	ready, reused, err := m.ready, m.reused, m.err
	m.mu.Unlock()
	if reused != "" {
		return reused, nil
	}
	if ready == nil {
		if err == nil {
			err = errors.New("tor was not started")
		}
		return "", err
	}
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case <-ready:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-t.C:
		st := a.TorStatus(ctx)
		return "", fmt.Errorf("tor is still starting (%d%%, %s); it goes on in the background", st.Progress.Percent, st.Progress.Summary)
	}
	if s := a.torSocks(); s != "" {
		return s, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return "", m.err
}

// StopTor stops this process's Tor, if it runs; it returns once tor has
// exited.
func (a *App) StopTor() {
	m := &a.tor
	m.mu.Lock()
	p, cancel := m.proc, m.cancel
	m.proc, m.reused = nil, ""
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if p != nil {
		p.Stop()
	}
}

// OtherTor is the Tor another Kabootar process runs on this data
// directory (tor.ErrNotRunning: none).
func (a *App) OtherTor(ctx context.Context) (TorStatus, error) {
	ctl, err := tor.Attach(ctx, filepath.Join(a.dir, "tor"))
	if err != nil {
		return TorStatus{}, err
	}
	defer ctl.Close()
	st := TorStatus{Running: true}
	if v, err := ctl.GetInfo(ctx, "process/pid"); err == nil {
		fmt.Sscan(v, &st.PID)
	}
	if v, err := ctl.GetInfo(ctx, "net/listeners/socks"); err == nil {
		st.Socks = strings.Trim(strings.Fields(v + " \"\"")[0], `"`)
	}
	st.Progress, err = ctl.Bootstrap(ctx)
	return st, err
}

// StopOtherTor stops the Tor another Kabootar process runs here.
func (a *App) StopOtherTor(ctx context.Context) error {
	ctl, err := tor.Attach(ctx, filepath.Join(a.dir, "tor"))
	if err != nil {
		return err
	}
	defer ctl.Close()
	return ctl.Shutdown(ctx)
}

// ReaderTor is the address of a Tor the reader runs (9050, 9150), or "".
func (a *App) ReaderTor(ctx context.Context) string {
	m := &a.tor
	m.mu.Lock()
	r := m.reused
	m.mu.Unlock()
	if r != "" {
		return r
	}
	return transport.RunningTor(ctx)
}

// TorVerdict is the verdict of a Tor that did not help: tor-missing,
// tor-failed, tor-stalled PHASE (or "" for none).
func TorVerdict(err error) string {
	var stalled *tor.StalledError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, tor.ErrMissing):
		return "tor-missing"
	case errors.As(err, &stalled):
		return "tor-stalled " + stalled.Progress.Tag
	}
	return "tor-failed"
}

// StartTorIfAlways starts Kabootar's Tor when the settings say always
// (the window, as it opens); errors are logged, and said at the refresh.
func (a *App) StartTorIfAlways(ctx context.Context) {
	n, err := LoadNetwork(ctx, a.store)
	if err != nil || n.Tor != TorAlways || n.Mode == transport.ModeDirect {
		return
	}
	if err := a.StartTor(ctx); err != nil {
		a.log.Warn("Kabootar's Tor", "err", err)
	}
}
