package tor

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// The control-port conversation (Tor's control-spec): a line per command,
// answers "250 OK", "250-key=value" lines, or an error code.

// maxControlLine bounds one line of the control port's answers.
const maxControlLine = 64 << 10

// ErrControl is an answer of the control port that is an error or not
// what the protocol says.
var ErrControl = errors.New("tor's control port")

// Control is one authenticated control connection.
type Control struct {
	conn net.Conn
	r    *bufio.Reader
	// broken is the error that left the conversation out of step (an
	// answer cut or garbled): every later command fails with it.
	broken error
}

// DialControl connects to a control port on this machine.
func DialControl(ctx context.Context, addr string) (*Control, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q is not a loopback address", ErrControl, addr)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrControl, err)
	}
	return &Control{conn: conn, r: bufio.NewReaderSize(conn, 4096)}, nil
}

// Close closes the connection.
func (c *Control) Close() error { return c.conn.Close() }

// command sends one command and reads its answer: the lines of a 250
// reply, without their codes.
func (c *Control) command(ctx context.Context, cmd string) ([]string, error) {
	if c.broken != nil {
		return nil, c.broken
	}
	lines, err := c.exchange(ctx, cmd)
	var refused *refusedError
	if err != nil && !errors.As(err, &refused) {
		c.broken = err
	}
	return lines, err
}

// refusedError is Tor's refusal of a command: the conversation is still
// in step.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

func (c *Control) exchange(ctx context.Context, cmd string) ([]string, error) {
	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	c.conn.SetDeadline(deadline)
	if _, err := c.conn.Write([]byte(cmd + "\r\n")); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrControl, err)
	}
	var lines []string
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) < 4 {
			return nil, fmt.Errorf("%w: %q is not an answer", ErrControl, line)
		}
		code, sep, text := line[:3], line[3], line[4:]
		if strings.HasPrefix(code, "6") {
			continue // an event between answers
		}
		if code != "250" {
			if sep == ' ' {
				return nil, &refusedError{fmt.Errorf("%w refused %q: %s", ErrControl, strings.Fields(cmd)[0], line)}
			}
			return nil, fmt.Errorf("%w: %q is not an answer", ErrControl, line)
		}
		switch sep {
		case ' ':
			return append(lines, text), nil
		case '-':
			lines = append(lines, text)
		case '+':
			// A data reply: lines up to a lone ".".
			lines = append(lines, text)
			for {
				l, err := c.readLine()
				if err != nil {
					return nil, err
				}
				if l == "." {
					break
				}
				lines = append(lines, strings.TrimPrefix(l, "."))
			}
		default:
			return nil, fmt.Errorf("%w: %q is not an answer", ErrControl, line)
		}
	}
}

func (c *Control) readLine() (string, error) {
	var b []byte
	for {
		part, more, err := c.r.ReadLine()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrControl, err)
		}
		if b = append(b, part...); len(b) > maxControlLine {
			return "", fmt.Errorf("%w: a line longer than %d bytes", ErrControl, maxControlLine)
		}
		if !more {
			return string(b), nil
		}
	}
}

// AuthenticateCookie authenticates with the cookie file Tor wrote.
func (c *Control) AuthenticateCookie(ctx context.Context, path string) error {
	cookie, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: reading its cookie: %v", ErrControl, err)
	}
	if len(cookie) != 32 {
		return fmt.Errorf("%w: its cookie is %d bytes, not 32", ErrControl, len(cookie))
	}
	_, err = c.command(ctx, "AUTHENTICATE "+hex.EncodeToString(cookie))
	return err
}

// GetInfo asks for one key.
func (c *Control) GetInfo(ctx context.Context, key string) (string, error) {
	lines, err := c.command(ctx, "GETINFO "+key)
	if err != nil {
		return "", err
	}
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: no %s in its answer", ErrControl, key)
}

// TakeOwnership makes Tor exit when this connection closes (and, with
// __OwningControllerProcess, when Kabootar's process ends).
func (c *Control) TakeOwnership(ctx context.Context) error {
	_, err := c.command(ctx, "TAKEOWNERSHIP")
	return err
}

// Shutdown asks Tor to exit now.
func (c *Control) Shutdown(ctx context.Context) error {
	_, err := c.command(ctx, "SIGNAL HALT")
	return err
}

// Progress is how far Tor's bootstrap is.
type Progress struct {
	Percent int
	Tag     string // Tor's name of the phase (conn_pt, loading_descriptors, done…)
	Summary string // Tor's words for it
	Warning string // why it is stuck, when Tor says
}

// Bootstrap reads the bootstrap phase.
func (c *Control) Bootstrap(ctx context.Context) (Progress, error) {
	v, err := c.GetInfo(ctx, "status/bootstrap-phase")
	if err != nil {
		return Progress{}, err
	}
	return ParseBootstrap(v)
}

// ParseBootstrap reads a bootstrap status, as GETINFO
// status/bootstrap-phase or a STATUS_CLIENT event gives it:
// NOTICE BOOTSTRAP PROGRESS=50 TAG=loading_descriptors SUMMARY="Loading relay descriptors".
func ParseBootstrap(s string) (Progress, error) {
	var p Progress
	found := false
	for _, kv := range splitQuoted(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch k {
		case "PROGRESS":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return p, fmt.Errorf("%w: progress %q", ErrControl, v)
			}
			p.Percent, found = n, true
		case "TAG":
			p.Tag = v
		case "SUMMARY":
			p.Summary = v
		case "WARNING":
			p.Warning = v
		}
	}
	if !found {
		return p, fmt.Errorf("%w: %q is not a bootstrap status", ErrControl, clip(s, 120))
	}
	return p, nil
}

// splitQuoted splits on spaces outside quotes, unquoting values.
func splitQuoted(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
