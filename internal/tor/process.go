package tor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FailedError is a Tor that would not start: it exited, or never opened
// its control port. Output is the end of what it printed.
type FailedError struct {
	Why    string
	Output string
}

func (e *FailedError) Error() string {
	msg := "tor did not start: " + e.Why
	if e.Output != "" {
		msg += "; it said: " + e.Output
	}
	return msg
}

// StalledError is a bootstrap stuck at one phase for too long.
type StalledError struct {
	Progress Progress
	For      time.Duration
}

func (e *StalledError) Error() string {
	msg := fmt.Sprintf("tor is stuck at %d%% (%s) for %v", e.Progress.Percent, e.Progress.Tag, e.For.Round(time.Second))
	if e.Progress.Warning != "" {
		msg += ": " + e.Progress.Warning
	}
	return msg + "; the bridges may be blocked: try others"
}

// startWithin bounds the wait for Tor's control port.
const startWithin = 20 * time.Second

// Process is a Tor that Kabootar started, with its control connection.
type Process struct {
	cmd    *exec.Cmd
	socks  string
	out    *tail
	exited chan struct{}

	mu  sync.Mutex // one control command at a time
	ctl *Control
}

// Start writes the torrc into cfg.DataDir and starts tor (the program at
// bin) on it, waiting until its control port answers; the bootstrap goes
// on in the background (Progress, WaitBootstrapped). A Tor that exits or
// does not answer in time is ended and a *FailedError returned.
func Start(ctx context.Context, bin string, cfg Config) (*Process, error) {
	text, err := cfg.Torrc()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, &FailedError{Why: fmt.Sprintf("its folder %s cannot be made: %v", cfg.DataDir, err)}
	}
	torrc := filepath.Join(cfg.DataDir, torrcFile)
	if err := os.WriteFile(torrc, []byte(text), 0o600); err != nil {
		return nil, &FailedError{Why: fmt.Sprintf("its folder %s cannot be written: %v", cfg.DataDir, err)}
	}
	portFile := filepath.Join(cfg.DataDir, controlPortFile)
	os.Remove(portFile)
	// An empty defaults file: the system's torrc-defaults (a service's)
	// is not this Tor's.
	defaults := filepath.Join(cfg.DataDir, "torrc-defaults")
	os.WriteFile(defaults, nil, 0o600)
	p := &Process{out: &tail{max: 4096}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, "-f", torrc, "--defaults-torrc", defaults)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		return nil, &FailedError{Why: err.Error()}
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	fail := func(why string) (*Process, error) {
		p.kill()
		return nil, &FailedError{Why: why, Output: p.out.lastLines(3)}
	}
	deadline := time.NewTimer(startWithin)
	defer deadline.Stop()
	var addr string
	for addr == "" {
		select {
		case <-ctx.Done():
			return fail(ctx.Err().Error())
		case <-p.exited:
			return fail("it exited at once")
		case <-deadline.C:
			return fail(fmt.Sprintf("its control port did not open within %v", startWithin))
		case <-time.After(50 * time.Millisecond):
		}
		data, err := os.ReadFile(portFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "PORT="); ok {
			addr = v
		}
	}
	ctl, err := DialControl(ctx, addr)
	if err != nil {
		return fail(err.Error())
	}
	p.ctl = ctl
	if err := ctl.AuthenticateCookie(ctx, filepath.Join(cfg.DataDir, cookieFile)); err != nil {
		return fail(err.Error())
	}
	if err := ctl.TakeOwnership(ctx); err != nil {
		return fail(err.Error())
	}
	socks, err := ctl.GetInfo(ctx, "net/listeners/socks")
	if err != nil {
		return fail(err.Error())
	}
	if f := strings.Fields(socks); len(f) > 0 {
		p.socks = strings.Trim(f[0], `"`)
	}
	if p.socks == "" {
		return fail("it opened no SOCKS port")
	}
	return p, nil
}

// Socks is the address of its SOCKS port (127.0.0.1:PORT).
func (p *Process) Socks() string { return p.socks }

// PID is the tor process's.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when tor has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Progress asks how far the bootstrap is.
func (p *Process) Progress(ctx context.Context) (Progress, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.exited:
		return Progress{}, &FailedError{Why: "it exited", Output: p.out.lastLines(3)}
	default:
	}
	pr, err := p.ctl.Bootstrap(ctx)
	if err != nil {
		// A control connection cut because tor died: say that.
		select {
		case <-p.exited:
			return Progress{}, &FailedError{Why: "it exited", Output: p.out.lastLines(3)}
		case <-time.After(time.Second):
		}
	}
	return pr, err
}

// WaitBootstrapped waits for 100%, telling progress each time it moves;
// a phase that does not move for stall is a *StalledError (tor is left
// running: the caller decides).
func (p *Process) WaitBootstrapped(ctx context.Context, stall time.Duration, progress func(Progress)) error {
	last, since := -1, time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var cur Progress
	for {
		pr, err := p.Progress(ctx)
		if err != nil {
			return err
		}
		if pr.Percent != last {
			last, since, cur = pr.Percent, time.Now(), pr
			if progress != nil {
				progress(pr)
			}
		}
		if pr.Percent >= 100 {
			return nil
		}
		if pr.Warning != "" {
			cur.Warning = pr.Warning
		}
		if time.Since(since) > stall {
			return &StalledError{Progress: cur, For: time.Since(since)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return &FailedError{Why: "it exited", Output: p.out.lastLines(3)}
		case <-tick.C:
		}
	}
}

// Stop ends tor: asked over the control port, then killed if it has not
// exited within a few seconds. It returns once the process is gone.
func (p *Process) Stop() {
	p.mu.Lock()
	if p.ctl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		p.ctl.Shutdown(ctx)
		cancel()
		p.ctl.Close()
	}
	p.mu.Unlock()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		p.kill()
	}
}

func (p *Process) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
	<-p.exited
}

// tail keeps the last bytes a process printed.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(b), nil
}

// lastLines is the last n lines, trimmed of Tor's date prefixes.
func (t *tail) lastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := bytes.Split(bytes.TrimSpace(t.buf), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var out []string
	for _, l := range lines {
		s := string(l)
		if i := strings.Index(s, "] "); i >= 0 && i < 40 {
			s = s[i+2:]
		}
		out = append(out, s)
	}
	return strings.Join(out, " / ")
}

// ErrNotRunning is no Tor of Kabootar's running in a data directory.
var ErrNotRunning = errors.New("no Tor of Kabootar's is running")

// Attach connects to the control port of a Tor that another Kabootar
// process started in dataDir (for status and stop); the caller closes it.
func Attach(ctx context.Context, dataDir string) (*Control, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, controlPortFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotRunning
	}
	if err != nil {
		return nil, err
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "PORT=")
	if !ok {
		return nil, fmt.Errorf("%w: %s is not Tor's", ErrControl, controlPortFile)
	}
	ctl, err := DialControl(ctx, addr)
	if err != nil {
		return nil, ErrNotRunning // the file of a Tor that has exited
	}
	if err := ctl.AuthenticateCookie(ctx, filepath.Join(dataDir, cookieFile)); err != nil {
		ctl.Close()
		return nil, err
	}
	return ctl, nil
}
