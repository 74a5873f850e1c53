package tor

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Transports are the pluggable-transport programs installed, by the
// transport they serve ("" when missing).
type Transports struct {
	Obfs4     string // obfs4proxy (or lyrebird, its successor)
	Snowflake string // snowflake-client
	Webtunnel string // webtunnel-client
}

// FindTransports looks for the transports' programs (lookPath is
// exec.LookPath).
func FindTransports(lookPath func(string) (string, error)) Transports {
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := lookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	return Transports{
		Obfs4:     find("lyrebird", "obfs4proxy"),
		Snowflake: find("snowflake-client"),
		Webtunnel: find("webtunnel-client"),
	}
}

// Has says whether a bridge's transport can run ("" always can).
func (t Transports) Has(transport string) bool {
	switch transport {
	case "":
		return true
	case "obfs4", "meek_lite":
		return t.Obfs4 != ""
	case "snowflake":
		return t.Snowflake != ""
	case "webtunnel":
		return t.Webtunnel != ""
	}
	return false
}

// ErrMissing is Tor not installed.
var ErrMissing = errors.New("tor is not installed")

// Install says what to install, for the messages.
const Install = "sudo apt install tor snowflake-client obfs4proxy"

// FindTor is the tor program, or ErrMissing.
func FindTor(lookPath func(string) (string, error)) (string, error) {
	if p, err := lookPath("tor"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissing, Install)
}

// Config is what Kabootar's Tor runs with.
type Config struct {
	// DataDir is Tor's own, inside Kabootar's data directory.
	DataDir string
	// Bridges, none for plain Tor (where Tor itself is not blocked).
	Bridges    []Bridge
	Transports Transports
	// OwnerPID is the process Tor lives with: it exits when it ends, so
	// no Tor is ever left behind, even after a crash.
	OwnerPID int
	// Extra lines, appended (the lab's private network).
	Extra []string
}

// Files in DataDir that Kabootar reads.
const (
	controlPortFile = "control-port"
	cookieFile      = "control_auth_cookie"
	torrcFile       = "torrc"
)

// Torrc is the configuration file's text. Its ports are Tor's own pick of
// free loopback ports (auto), written to a file Kabootar reads, so that
// nothing races for a port; names are resolved by Tor (SOCKS5 with
// hostnames), never locally. A bridge whose transport is not installed is
// an error naming it.
func (c Config) Torrc() (string, error) {
	if c.DataDir == "" {
		return "", errors.New("tor: no data directory")
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Written by Kabootar; rewritten each time it starts its Tor.")
	line("DataDirectory %s", quote(c.DataDir))
	line("SocksPort 127.0.0.1:auto")
	line("ControlPort 127.0.0.1:auto")
	line("ControlPortWriteToFile %s", quote(filepath.Join(c.DataDir, controlPortFile)))
	line("CookieAuthentication 1")
	line("CookieAuthFile %s", quote(filepath.Join(c.DataDir, cookieFile)))
	line("AvoidDiskWrites 1")
	line("Log notice stdout")
	line("ClientOnly 1")
	if c.OwnerPID > 0 {
		line("__OwningControllerProcess %d", c.OwnerPID)
	}
	used := map[string]bool{}
	for _, br := range c.Bridges {
		if !c.Transports.Has(br.Transport) {
			return "", &BridgeError{Text: br.String(), Why: fmt.Sprintf("the %s transport is not installed (%s)", br.Transport, Install)}
		}
		used[br.Transport] = true
	}
	// Tor splits a plugin's command line on spaces, quotes and all: its
	// path is written bare, and one with a space cannot be used.
	plugin := func(names, path string, args ...string) error {
		if strings.ContainsAny(path, " \t\"") {
			return fmt.Errorf("tor cannot run a transport from a path with spaces: %q", path)
		}
		line("ClientTransportPlugin %s exec %s", names, strings.Join(append([]string{path}, args...), " "))
		return nil
	}
	var err error
	if used["obfs4"] || used["meek_lite"] {
		err = plugin("obfs4,meek_lite", c.Transports.Obfs4)
	}
	if used["snowflake"] && err == nil {
		err = plugin("snowflake", c.Transports.Snowflake, snowflakeArgs...)
	}
	if used["webtunnel"] && err == nil {
		err = plugin("webtunnel", c.Transports.Webtunnel)
	}
	if err != nil {
		return "", err
	}
	if len(c.Bridges) > 0 {
		line("UseBridges 1")
		for _, br := range c.Bridges {
			line("Bridge %s", br)
		}
	}
	for _, e := range c.Extra {
		if strings.ContainsAny(e, "\n\r") {
			return "", fmt.Errorf("tor: an extra line holds a line break: %q", e)
		}
		line("%s", e)
	}
	return b.String(), nil
}

// quote writes a path as torrc reads one: in quotes, with backslashes and
// quotes escaped (a Windows path, a user name with spaces).
func quote(s string) string {
	return strconv.Quote(s)
}
