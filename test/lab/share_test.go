package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The sharing lab: two readers whose machines are joined only to each
// other (a LAN in a shutdown: no route anywhere else), each with a real
// Syncthing daemon (Debian's) and a Kabootar data directory. A's news
// reaches B through Syncthing and B's reaches A; a bundle changed by one
// byte on the way is refused.
const (
	shareA = "10.67.0.1"
	shareB = "10.67.0.2"
)

// It is long because it is one story, step after step.
func TestLabShare(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the sharing lab needs root (network namespaces); CI runs it as root: make lab")
	}
	for _, tool := range []string{"ip", "syncthing"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the sharing lab needs %s; install it (scripts/deps.sh test does)", tool)
		}
	}
	id := strconv.Itoa(os.Getpid())
	l := &lab{t: t, client: "kbl" + id + "a", censor: "kbl" + id + "b", dir: t.TempDir()}
	t.Cleanup(l.close)
	removeStale()
	l.build()
	nsA, nsB := l.client, l.censor
	for _, ns := range []string{nsA, nsB} {
		l.run("ip", "netns", "add", ns)
		l.in(ns, "ip", "link", "set", "lo", "up")
		l.in(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
		etc := filepath.Join("/etc/netns", ns)
		os.MkdirAll(etc, 0o755)
		// No resolver: nothing here may be looked up anywhere.
		os.WriteFile(filepath.Join(etc, "resolv.conf"), []byte("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"), 0o644)
	}
	l.in(nsA, "ip", "link", "add", "s0", "type", "veth", "peer", "name", "s1", "netns", nsB)
	l.in(nsA, "ip", "addr", "add", shareA+"/24", "dev", "s0")
	l.in(nsB, "ip", "addr", "add", shareB+"/24", "dev", "s1")
	l.in(nsA, "ip", "link", "set", "s0", "up")
	l.in(nsB, "ip", "link", "set", "s1", "up")

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	type reader struct {
		ns, ip, data, home, device, key, dir, feed string
	}
	readers := []*reader{{ns: nsA, ip: shareA}, {ns: nsB, ip: shareB}}
	for i, r := range readers {
		name := string(rune('a' + i))
		r.data = filepath.Join(l.dir, "data-"+name)
		r.home = filepath.Join(l.dir, "syncthing-"+name)
		l.run("syncthing", "generate", "--home", r.home, "--no-default-folder", "--skip-port-probing")
		labSyncthingConfig(t, filepath.Join(r.home, "config.xml"))
		l.start(r.ns, []string{"HOME=" + r.home, "STNOUPGRADE=1", "STNORESTART=1"}, "",
			"syncthing", "serve", "--home", r.home, "--no-browser", "--no-restart", "--no-upgrade", "--gui-address=127.0.0.1:8384")
		// Each its own port: a source imported from the other's bundle must
		// not reach this reader's own site.
		r.feed = fmt.Sprintf("127.0.0.1:%d", 8080+i)
		l.start(r.ns, []string{"KBLAB_ROLE=feeds", "KBLAB_ADDR=" + r.feed, "KBLAB_TITLE=News" + strings.ToUpper(name)}, "ready", self)
		l.mustIn(r.ns, r.data, "transport", "set", "--doh", "off", "--tor", "off")
		// Syncthing takes a moment to answer its REST API.
		var setup struct{ DeviceID, Dir string }
		for try := 0; ; try++ {
			code, out, errs, _ := l.kabootarIn(r.ns, r.data, "share", "syncthing", "--syncthing-home", r.home, "--json")
			if code == 0 {
				var j struct {
					DeviceID string `json:"device_id"`
					Dir      string `json:"dir"`
				}
				json.Unmarshal([]byte(out), &j)
				setup.DeviceID, setup.Dir = j.DeviceID, j.Dir
				break
			}
			if try == 60 {
				t.Fatalf("share syncthing: exit %d\n%s\n%s", code, out, errs)
			}
			time.Sleep(500 * time.Millisecond)
		}
		r.device, r.dir = setup.DeviceID, setup.Dir
		var k struct{ Key string }
		if err := json.Unmarshal([]byte(l.mustIn(r.ns, r.data, "keys", "show", "--json")), &k); err != nil {
			t.Fatal(err)
		}
		r.key = k.Key
	}
	a, b := readers[0], readers[1]
	l.mustIn(a.ns, a.data, "share", "syncthing", "add", b.device, "--syncthing-home", a.home, "--address", "tcp://"+b.ip+":22000")
	l.mustIn(b.ns, b.data, "share", "syncthing", "add", a.device, "--syncthing-home", b.home, "--address", "tcp://"+a.ip+":22000")
	l.mustIn(b.ns, b.data, "keys", "trust", a.key, "--name", "A")
	l.mustIn(a.ns, a.data, "keys", "trust", b.key, "--name", "B")

	// A fetches its news and sends it.
	l.mustIn(a.ns, a.data, "sources", "add", "http://"+a.feed+"/feed.xml")
	sent := shareRefresh(l, a.ns, a.data)
	if sent.Sent == nil || sent.SentN != 12 {
		t.Fatalf("A's refresh sent %+v", sent)
	}
	start := time.Now()
	waitFile(t, filepath.Join(b.dir, filepath.Base(*sent.Sent)), 120*time.Second)
	carried := time.Since(start)
	got := shareRefresh(l, b.ns, b.data)
	if got.Articles != 12 || len(got.Received) != 1 {
		t.Fatalf("B's refresh received %+v", got)
	}
	if n := l.articleCountIn(b.ns, b.data); n != 12 {
		t.Fatalf("B holds %d articles, want A's 12", n)
	}

	// One byte changed on the way: refused, nothing changes.
	data, err := os.ReadFile(*sent.Sent)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	forged := "kabootar-changed-on-the-way.zip"
	os.WriteFile(filepath.Join(a.dir, forged), data, 0o644)
	waitFile(t, filepath.Join(b.dir, forged), 120*time.Second)
	got = shareRefresh(l, b.ns, b.data)
	if len(got.Refused) != 1 || !strings.Contains(got.Refused[0].File, forged) || got.Articles != 0 {
		t.Errorf("the changed bundle: %+v", got)
	}
	if n := l.articleCountIn(b.ns, b.data); n != 12 {
		t.Errorf("B holds %d articles after the changed bundle, want 12", n)
	}

	// B's own news reaches A the same way.
	l.mustIn(b.ns, b.data, "sources", "add", "http://"+b.feed+"/feed.xml")
	sentB := shareRefresh(l, b.ns, b.data)
	if sentB.Sent == nil || sentB.SentN != 12 {
		t.Fatalf("B's refresh sent %+v", sentB)
	}
	startB := time.Now()
	waitFile(t, filepath.Join(a.dir, filepath.Base(*sentB.Sent)), 120*time.Second)
	carriedB := time.Since(startB)
	gotA := shareRefresh(l, a.ns, a.data)
	if gotA.Articles != 12 {
		t.Errorf("A's refresh received %+v", gotA)
	}
	if n := l.articleCountIn(a.ns, a.data); n != 24 {
		t.Errorf("A holds %d articles, want 24 (its own and B's)", n)
	}
	fmt.Printf("\nSharing lab report\nA to B through Syncthing: %.1f s from the bundle written to its arrival\n"+
		"B to A through Syncthing: %.1f s\nchanged on the way: refused (%s)\n", carried.Seconds(), carriedB.Seconds(), firstDetail(got))
}

func firstDetail(r shareOut) string {
	if len(r.Refused) == 0 {
		return "not refused"
	}
	return r.Refused[0].Detail
}

type shareOut struct {
	Received []struct{ File string }
	Articles int
	Waiting  []struct{ File string }
	Refused  []struct{ File, Detail string }
	Sent     *string
	SentN    int `json:"sent_articles"`
	Error    string
}

// shareRefresh refreshes in ns and returns what the shared folder did.
func shareRefresh(l *lab, ns, data string) shareOut {
	l.t.Helper()
	_, out, errs, _ := l.kabootarIn(ns, data, "refresh", "--json")
	var r struct{ Share *shareOut }
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Share == nil {
		l.t.Fatalf("refresh --json: %v\n%s\n%s", err, out, errs)
	}
	if r.Share.Error != "" {
		l.t.Fatalf("sharing: %s", r.Share.Error)
	}
	return *r.Share
}

func (l *lab) mustIn(ns, data string, args ...string) string {
	l.t.Helper()
	code, out, errs, _ := l.kabootarIn(ns, data, args...)
	if code != 0 {
		l.t.Fatalf("kabootar %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func (l *lab) articleCountIn(ns, data string) int {
	l.t.Helper()
	var a struct{ Articles []json.RawMessage }
	if err := json.Unmarshal([]byte(l.mustIn(ns, data, "articles", "--json", "--limit", "1000")), &a); err != nil {
		l.t.Fatal(err)
	}
	return len(a.Articles)
}

// waitFile waits for Syncthing to bring a file (renamed into place whole).
func waitFile(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Syncthing did not bring %s within %v", filepath.Base(path), within)
}

// labSyncthingConfig keeps a lab Syncthing to the lab: no global
// discovery, relays, NAT traversal, usage or crash reports, or upgrades
// (nothing beyond the two namespaces is ever asked), and a fixed port.
func labSyncthingConfig(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, r := range [][2]string{
		{"<globalAnnounceEnabled>true<", "<globalAnnounceEnabled>false<"},
		{"<localAnnounceEnabled>true<", "<localAnnounceEnabled>false<"},
		{"<relaysEnabled>true<", "<relaysEnabled>false<"},
		{"<natEnabled>true<", "<natEnabled>false<"},
		{"<urAccepted>0<", "<urAccepted>-1<"},
		{"<crashReportingEnabled>true<", "<crashReportingEnabled>false<"},
		{"<autoUpgradeIntervalH>12<", "<autoUpgradeIntervalH>0<"},
		{"<startBrowser>true<", "<startBrowser>false<"},
		{"<listenAddress>default<", "<listenAddress>tcp://0.0.0.0:22000<"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("Syncthing's generated config lacks %s", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
