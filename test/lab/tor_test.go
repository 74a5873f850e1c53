package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Tor lab: a private Tor network of Debian's tor in the world
// namespace (TestingTorNetwork: one directory authority with keys from
// tor-gencert, two exit relays, and an obfs4 bridge run by obfs4proxy in
// server mode), and a censor that leaves the reader only the bridge.
// Snowflake needs a broker, STUN and volunteer proxies: it is checked in
// unit tests only (its torrc and its transport found).
const (
	torAuthIP   = "10.66.2.20"
	torRelay1IP = "10.66.2.21"
	torRelay2IP = "10.66.2.22"
	torBridgeIP = "10.66.2.23"
	torObfs4    = "4430"
)

// torNet is the private network: the torrc lines a client needs to use it
// (its authority), and the bridge line of its obfs4 bridge.
type torNet struct {
	clientLines []string
	bridge      string
}

// startTorNet starts the private Tor network in the world and waits until
// the bridge has bootstrapped on it (a consensus exists).
func (l *lab) startTorNet(t *testing.T) torNet {
	t.Helper()
	for _, tool := range []string{"tor", "tor-gencert", "obfs4proxy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the Tor lab needs %s; install it (scripts/deps.sh test does)", tool)
		}
	}
	for _, ip := range []string{torAuthIP, torRelay1IP, torRelay2IP, torBridgeIP} {
		l.in(l.world, "ip", "addr", "add", ip+"/24", "dev", "w0")
	}
	dir := filepath.Join(l.dir, "tornet")
	keys := filepath.Join(dir, "auth", "keys")
	os.MkdirAll(keys, 0o700)
	gencert := exec.Command("tor-gencert", "--create-identity-key", "-m", "12", "-a", torAuthIP+":7000",
		"-i", filepath.Join(keys, "authority_identity_key"), "-s", filepath.Join(keys, "authority_signing_key"),
		"-c", filepath.Join(keys, "authority_certificate"), "--passphrase-fd", "0")
	gencert.Stdin = strings.NewReader("\n")
	if out, err := gencert.CombinedOutput(); err != nil {
		t.Fatalf("tor-gencert: %v\n%s", err, out)
	}
	cert, _ := os.ReadFile(filepath.Join(keys, "authority_certificate"))
	var v3 string
	for _, line := range strings.Split(string(cert), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "fingerprint" {
			v3 = f[1]
		}
	}
	// Fast votes: a consensus within seconds, as chutney's networks do.
	common := []string{"TestingTorNetwork 1", "TestingDirAuthVoteExit *", "TestingDirAuthVoteGuard *", "TestingDirAuthVoteHSDir *",
		"AssumeReachable 1", "TestingV3AuthInitialVotingInterval 5", "TestingV3AuthInitialVoteDelay 2", "TestingV3AuthInitialDistDelay 2",
		"V3AuthVotingInterval 10", "V3AuthVoteDelay 2", "V3AuthDistDelay 2", "UseDefaultFallbackDirs 0", "SafeLogging 0"}
	write := func(name string, lines ...string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o700)
		all := append(append([]string{"DataDirectory " + d, "Log notice file " + filepath.Join(d, "log")}, common...), lines...)
		p := filepath.Join(d, "torrc")
		os.WriteFile(p, []byte(strings.Join(all, "\n")+"\n"), 0o600)
		return p
	}
	authLines := []string{"Nickname auth", "Address " + torAuthIP, "SocksPort 0", "ORPort " + torAuthIP + ":5000", "DirPort " + torAuthIP + ":7000",
		"AuthoritativeDirectory 1", "V3AuthoritativeDirectory 1", "ContactInfo lab", "ExitRelay 0"}
	authTorrc := write("auth", authLines...)
	fp := exec.Command("tor", "-f", authTorrc, "--DirAuthority", "auth orport=5000 no-v2 v3ident="+v3+" "+torAuthIP+":7000 "+strings.Repeat("0", 40), "--list-fingerprint")
	out, err := fp.Output()
	if err != nil {
		t.Fatalf("tor --list-fingerprint: %v\n%s", err, out)
	}
	f := strings.Fields(strings.TrimSpace(string(out[strings.LastIndexByte(strings.TrimSpace(string(out)), '\n')+1:])))
	authFP := strings.Join(f[1:], "")
	dirAuth := "DirAuthority auth orport=5000 no-v2 v3ident=" + v3 + " " + torAuthIP + ":7000 " + authFP
	common = append(common, dirAuth)
	authTorrc = write("auth", authLines...)
	exit := []string{"ExitRelay 1", "ExitPolicy accept *:*", "ExitPolicyRejectPrivate 0", "ExitPolicyRejectLocalInterfaces 0",
		"ServerDNSDetectHijacking 0", "ServerDNSTestAddresses \"\""}
	r1 := write("relay1", append([]string{"Nickname relay1", "Address " + torRelay1IP, "SocksPort 0", "ORPort " + torRelay1IP + ":5000", "DirPort " + torRelay1IP + ":7000"}, exit...)...)
	r2 := write("relay2", append([]string{"Nickname relay2", "Address " + torRelay2IP, "SocksPort 0", "ORPort " + torRelay2IP + ":5000", "DirPort " + torRelay2IP + ":7000"}, exit...)...)
	bridge := write("bridge", "Nickname bridge", "Address "+torBridgeIP, "SocksPort 0", "ORPort "+torBridgeIP+":5000", "BridgeRelay 1",
		"PublishServerDescriptor 0", "ServerTransportPlugin obfs4 exec /usr/bin/obfs4proxy", "ServerTransportListenAddr obfs4 "+torBridgeIP+":"+torObfs4, "ExtORPort auto")
	for _, torrc := range []string{authTorrc, r1, r2, bridge} {
		l.start(l.world, nil, "", "tor", "-f", torrc)
	}
	// The bridge bootstraps once the authority has voted a consensus.
	bdir := filepath.Join(dir, "bridge")
	deadline := time.Now().Add(90 * time.Second)
	for {
		logText, _ := os.ReadFile(filepath.Join(bdir, "log"))
		line, _ := os.ReadFile(filepath.Join(bdir, "pt_state", "obfs4_bridgeline.txt"))
		if strings.Contains(string(logText), "Bootstrapped 100%") && len(line) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the private Tor network did not come up:\n%s", tailOf(string(logText), 1500))
		}
		time.Sleep(250 * time.Millisecond)
	}
	line, _ := os.ReadFile(filepath.Join(bdir, "pt_state", "obfs4_bridgeline.txt"))
	var certArg string
	for _, w := range strings.Fields(lastLine(string(line))) {
		if strings.HasPrefix(w, "cert=") {
			certArg = w
		}
	}
	bfp, _ := os.ReadFile(filepath.Join(bdir, "fingerprint"))
	return torNet{
		clientLines: []string{"TestingTorNetwork 1", "UseDefaultFallbackDirs 0", dirAuth, "Log notice file " + filepath.Join(dir, "client.log")},
		bridge:      fmt.Sprintf("obfs4 %s:%s %s %s iat-mode=0", torBridgeIP, torObfs4, strings.Fields(string(bfp))[1], certArg),
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func tailOf(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

type torOut struct {
	Sources []struct {
		OK    bool
		Route string
		Error string
	}
	Media struct{ Images, Failed int }
	Tor   *struct {
		Started   bool
		PID       int
		Bootstrap int
		MS        int64 `json:"bootstrap_ms"`
		Retried   int
		Verdict   string
		Error     string
	}
}

// TestLabTor: a reader with no proxy, behind a censor that refuses the
// news site every way and drops every relay's address, gets every feed
// through Kabootar's own Tor and the obfs4 bridge; with --tor off gets
// nothing and says so; in strict mode with Tor, nothing but Tor's own
// connections to its bridge leaves (images included); no tor process of
// Kabootar's is left after a refresh.
func TestLabTor(t *testing.T) {
	l := newLab(t)
	net := l.startTorNet(t)
	extra := filepath.Join(l.dir, "tornet", "client.torrc")
	os.WriteFile(extra, []byte(strings.Join(net.clientLines, "\n")+"\n"), 0o600)
	l.env = []string{"KABOOTAR_TORRC_EXTRA=" + extra}
	var report []reportRow
	defer func() { printReport(report) }()

	block := `
	counter leak { }
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr ` + clientIP + ` ip daddr { ` + torAuthIP + `, ` + torRelay1IP + `, ` + torRelay2IP + ` } drop
		ip saddr ` + clientIP + ` ip daddr { ` + newsIP + `, ` + mirrorIP + `, ` + dohIP + `, ` + telegramIP + `, ` + worldIP + ` } tcp dport != 53 reject with tcp reset
		ip saddr ` + clientIP + ` ip daddr != ` + torBridgeIP + ` counter name leak
	}`
	// The source is added on the open network, then the reader is set up.
	reader := func(name string, args ...string) string {
		data := filepath.Join(l.dir, "data-"+name)
		os.MkdirAll(data, 0o700)
		l.must(data, "transport", "set", "--tor", "off", "--doh", "https://"+dohHost+"/dns-query@"+dohIP, "--trust", labCIDR)
		l.must(data, "sources", "add", newsFeed, "--mirror", mirrorFeed)
		l.must(data, append([]string{"transport", "set"}, args...)...)
		return data
	}
	run := func(t *testing.T, name, data string, check func(t *testing.T, code int, r torOut, took time.Duration)) {
		off := l.censorRules(block)
		defer off()
		code, out, errs, took := l.kabootar(data, "refresh", "--json")
		var r torOut
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("refresh --json: %v\n%s\n%s", err, out, errs)
		}
		row := reportRow{scenario: name, result: "pass", first: fmt.Sprintf("%.2f s", took.Seconds())}
		if len(r.Sources) > 0 {
			row.route = r.Sources[0].Route
		}
		if r.Tor != nil {
			row.verdicts = fmt.Sprintf("tor bootstrap %d%% in %.1f s %s", r.Tor.Bootstrap, float64(r.Tor.MS)/1000, r.Tor.Verdict)
		}
		check(t, code, r, took)
		if r.Tor != nil && r.Tor.PID > 0 && !errorsIsESRCH(r.Tor.PID) {
			t.Errorf("tor %d of Kabootar's is still running after the refresh", r.Tor.PID)
			syscall.Kill(r.Tor.PID, syscall.SIGKILL)
		}
		if t.Failed() {
			row.result = "FAIL"
			t.Log(errs)
		}
		report = append(report, row)
	}
	t.Run("tor-bridge", func(t *testing.T) {
		parent := l.t
		l.t = t // the lab's helpers fail this scenario, not the whole lab
		defer func() { l.t = parent }()
		data := reader("tor-bridge", "--tor", "auto", "--bridge", net.bridge)
		run(t, "tor-bridge", data, func(t *testing.T, code int, r torOut, took time.Duration) {
			if code != 0 || len(r.Sources) != 1 || !r.Sources[0].OK || r.Sources[0].Route != "tor" {
				t.Errorf("exit %d, %+v; want the feed through tor", code, r.Sources)
			}
			if r.Tor == nil || !r.Tor.Started || r.Tor.Bootstrap != 100 || r.Tor.Retried != 1 {
				t.Errorf("tor: %+v", r.Tor)
			}
			if n := l.articleCount(data); n != feedItems {
				t.Errorf("%d articles stored, want %d", n, feedItems)
			}
		})
	})
	t.Run("tor-off", func(t *testing.T) {
		parent := l.t
		l.t = t
		defer func() { l.t = parent }()
		data := reader("tor-off", "--tor", "off", "--bridge", net.bridge)
		run(t, "tor-off", data, func(t *testing.T, code int, r torOut, took time.Duration) {
			if code != 1 || len(r.Sources) != 1 || r.Sources[0].OK || r.Tor != nil {
				t.Errorf("exit %d, %+v, tor %+v; want a failure and no Tor", code, r.Sources, r.Tor)
			}
		})
	})
	t.Run("tor-strict", func(t *testing.T) {
		parent := l.t
		l.t = t
		defer func() { l.t = parent }()
		data := reader("tor-strict", "--mode", "proxy", "--tor", "always", "--bridge", net.bridge)
		run(t, "tor-strict", data, func(t *testing.T, code int, r torOut, took time.Duration) {
			if code != 0 || len(r.Sources) != 1 || !r.Sources[0].OK || r.Sources[0].Route != "tor" {
				t.Errorf("exit %d, %+v; want the feed through tor", code, r.Sources)
			}
			if r.Media.Images != 1 {
				t.Errorf("images %+v: the photo should come through Tor too", r.Media)
			}
			if n := l.leakCount(); n != 0 {
				t.Errorf("%d packets left the reader for somewhere other than the bridge", n)
			}
		})
	})
}

// errorsIsESRCH says the process is gone.
func errorsIsESRCH(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// noNetworkTorrc is a torrc fragment for a Tor that must never leave the
// machine: a private network whose one authority is a closed loopback
// port.
func noNetworkTorrc(l *lab) string {
	path := filepath.Join(l.dir, "no-network.torrc")
	os.WriteFile(path, []byte("TestingTorNetwork 1\nUseDefaultFallbackDirs 0\n"+
		"DirAuthority lab orport=1 no-v2 v3ident=0000000000000000000000000000000000000000 127.0.0.1:1 0000000000000000000000000000000000000000\n"), 0o600)
	return path
}
