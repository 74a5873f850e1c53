package tor

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeControl answers the control port's protocol as Tor does, from a
// script of answers by command; events come between answers.
func fakeControl(t *testing.T, cookie []byte, answers map[string]string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				authed := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.TrimSpace(line)
					switch {
					case strings.HasPrefix(cmd, "AUTHENTICATE "):
						if strings.TrimPrefix(cmd, "AUTHENTICATE ") == hex.EncodeToString(cookie) {
							authed = true
							conn.Write([]byte("250 OK\r\n"))
						} else {
							conn.Write([]byte("515 Authentication failed: Wrong length on authentication cookie.\r\n"))
						}
					case !authed:
						conn.Write([]byte("514 Authentication required.\r\n"))
						return
					default:
						a, ok := answers[cmd]
						if !ok {
							a = "510 Unrecognized command\r\n"
						}
						conn.Write([]byte(a))
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestControlConversation(t *testing.T) {
	ctx := context.Background()
	cookie := []byte("0123456789abcdef0123456789abcdef")
	dir := t.TempDir()
	cookiePath := filepath.Join(dir, "cookie")
	os.WriteFile(cookiePath, cookie, 0o600)
	addr := fakeControl(t, cookie, map[string]string{
		"TAKEOWNERSHIP": "250 OK\r\n",
		// An event first, then the answer.
		"GETINFO status/bootstrap-phase": "650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED\r\n" +
			"250-status/bootstrap-phase=WARN BOOTSTRAP PROGRESS=10 TAG=conn_done SUMMARY=\"Connected to a relay\" WARNING=\"Connection refused\" REASON=CONNECTREFUSED\r\n250 OK\r\n",
		"GETINFO net/listeners/socks": "250-net/listeners/socks=\"127.0.0.1:39051\"\r\n250 OK\r\n",
		"GETINFO config-text":         "250+config-text=\r\nSocksPort auto\r\n..escaped dot\r\n.\r\n250 OK\r\n",
		"GETINFO long":                "250-long=" + strings.Repeat("x", maxControlLine+10) + "\r\n250 OK\r\n",
		"GETINFO garbage":             "hello\r\n",
	})
	c, err := DialControl(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AuthenticateCookie(ctx, cookiePath); err != nil {
		t.Fatal(err)
	}
	if err := c.TakeOwnership(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := c.Bootstrap(ctx)
	if err != nil || p.Percent != 10 || p.Tag != "conn_done" || p.Summary != "Connected to a relay" || p.Warning != "Connection refused" {
		t.Errorf("bootstrap %+v, %v", p, err)
	}
	if v, err := c.GetInfo(ctx, "net/listeners/socks"); err != nil || v != `"127.0.0.1:39051"` {
		t.Errorf("socks %q, %v", v, err)
	}
	if v, err := c.command(ctx, "GETINFO config-text"); err != nil || len(v) != 4 || v[2] != ".escaped dot" {
		t.Errorf("a data reply: %q, %v", v, err)
	}
	for _, bad := range []string{"GETINFO long", "SIGNAL NEWNYM"} {
		if _, err := c.command(ctx, bad); !errors.Is(err, ErrControl) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	c2, _ := DialControl(ctx, addr)
	defer c2.Close()
	c2.AuthenticateCookie(ctx, cookiePath)
	if _, err := c2.command(ctx, "GETINFO garbage"); !errors.Is(err, ErrControl) {
		t.Errorf("garbage: %v", err)
	}
	// A wrong or damaged cookie.
	os.WriteFile(cookiePath, []byte("short"), 0o600)
	c3, _ := DialControl(ctx, addr)
	defer c3.Close()
	if err := c3.AuthenticateCookie(ctx, cookiePath); !errors.Is(err, ErrControl) {
		t.Errorf("a short cookie: %v", err)
	}
	os.WriteFile(cookiePath, []byte(strings.Repeat("z", 32)), 0o600)
	if err := c3.AuthenticateCookie(ctx, cookiePath); !errors.Is(err, ErrControl) || !strings.Contains(err.Error(), "515") {
		t.Errorf("a wrong cookie: %v", err)
	}
	if _, err := DialControl(ctx, "192.0.2.1:9051"); !errors.Is(err, ErrControl) {
		t.Errorf("a control port off this machine: %v", err)
	}
}

func TestParseBootstrap(t *testing.T) {
	for _, tt := range []struct {
		in      string
		percent int
		tag     string
		bad     bool
	}{
		{`NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY="Done"`, 100, "done", false},
		{`NOTICE BOOTSTRAP PROGRESS=1 TAG=conn_pt SUMMARY="Connecting to pluggable transport"`, 1, "conn_pt", false},
		{`NOTICE BOOTSTRAP PROGRESS=101 TAG=x`, 0, "", true},
		{`NOTICE BOOTSTRAP TAG=x`, 0, "", true},
		{``, 0, "", true},
	} {
		p, err := ParseBootstrap(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && (p.Percent != tt.percent || p.Tag != tt.tag)) {
			t.Errorf("ParseBootstrap(%q) = %+v, %v", tt.in, p, err)
		}
	}
}
