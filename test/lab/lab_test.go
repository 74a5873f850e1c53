// Package lab is Kabootar's censorship lab: the real kabootar binary in a
// client network namespace, behind a censor namespace that forwards to a
// world namespace holding a news site, its mirror, a resolver, a
// DNS-over-HTTPS resolver and real proxies (microsocks, tinyproxy). Each
// scenario switches a censorship technique on in the censor, in its own
// nftables table, and checks what reaches the reader.
//
// It needs root and iproute2, nftables, iptables, dnsmasq, microsocks and
// tinyproxy; without them it skips, saying why (.ci/run, as root,
// installs them, so CI never skips). Only addresses in 10.66.0.0/16,
// inside the lab's own namespaces, are used; the world has no route beyond
// its link. Every process is stopped by its PID and every namespace
// removed when the test ends, pass or fail.
package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if role := os.Getenv("KBLAB_ROLE"); role != "" {
		runRole(role)
		return
	}
	os.Exit(m.Run())
}

// lab is one set of namespaces and the processes in them.
type lab struct {
	t                     *testing.T
	client, censor, world string // namespace names
	dir                   string // certificates, configs, data
	bin                   string // the kabootar binary
	procs                 []*exec.Cmd
	env                   []string // more environment for kabootar (the Tor lab's private network)
}

var tools = []string{"ip", "nft", "iptables", "tc", "dnsmasq", "microsocks", "tinyproxy"}

func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the censorship lab needs root (network namespaces); CI runs it as root: make lab")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the censorship lab needs %s; install it (scripts/deps.sh test does)", tool)
		}
	}
	id := strconv.Itoa(os.Getpid())
	l := &lab{t: t, client: "kbl" + id + "c", censor: "kbl" + id + "x", world: "kbl" + id + "w", dir: t.TempDir()}
	t.Cleanup(l.close)
	removeStale()
	l.build()
	l.topology()
	l.services()
	return l
}

// labNamespace is a lab's namespace name: kbl, the PID of the test
// process that made it, and a letter for its role.
var labNamespace = regexp.MustCompile(`^kbl([0-9]+)[a-z]$`)

// removeStale deletes namespaces left by a lab run that was killed before
// it could clean up (its processes died with it or are ended below). A
// namespace whose test process still runs is another lab's, running now
// beside this one (a CI check beside a developer's make lab): left alone.
func removeStale() {
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m := labNamespace.FindStringSubmatch(f[0])
		if m == nil {
			continue
		}
		if pid, _ := strconv.Atoi(m[1]); pid != os.Getpid() && syscall.Kill(pid, 0) == nil {
			continue // its lab is running
		}
		name := f[0]
		pids, _ := exec.Command("ip", "netns", "pids", name).Output()
		for _, p := range strings.Fields(string(pids)) {
			if pid, err := strconv.Atoi(p); err == nil {
				if proc, err := os.FindProcess(pid); err == nil {
					proc.Kill() // a lab process of ours, in our own namespace
				}
			}
		}
		exec.Command("ip", "netns", "del", name).Run()
		os.RemoveAll(filepath.Join("/etc/netns", name))
	}
}

func (l *lab) run(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// in runs a command inside a namespace.
func (l *lab) in(ns string, args ...string) string {
	l.t.Helper()
	return l.run(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

func (l *lab) build() {
	l.bin = filepath.Join(l.dir, "kabootar")
	cmd := exec.Command("go", "build", "-o", l.bin, "../../cmd/kabootar")
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("building kabootar: %v\n%s", err, out)
	}
}

func (l *lab) topology() {
	for _, ns := range []string{l.client, l.censor, l.world} {
		l.run("ip", "netns", "add", ns)
		l.in(ns, "ip", "link", "set", "lo", "up")
		l.in(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
	}
	// Both ends of each link are made inside the lab's namespaces.
	l.in(l.client, "ip", "link", "add", "c0", "type", "veth", "peer", "name", "x0", "netns", l.censor)
	l.in(l.censor, "ip", "link", "add", "x1", "type", "veth", "peer", "name", "w0", "netns", l.world)
	l.in(l.client, "ip", "addr", "add", clientIP+"/24", "dev", "c0")
	l.in(l.client, "ip", "link", "set", "c0", "up")
	l.in(l.client, "ip", "route", "add", "default", "via", censorIP)
	l.in(l.censor, "ip", "addr", "add", censorIP+"/24", "dev", "x0")
	l.in(l.censor, "ip", "addr", "add", censorWIP+"/24", "dev", "x1")
	l.in(l.censor, "ip", "link", "set", "x0", "up")
	l.in(l.censor, "ip", "link", "set", "x1", "up")
	l.in(l.censor, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	for _, ip := range []string{worldIP, newsIP, mirrorIP, dohIP, telegramIP, cdnIP} {
		l.in(l.world, "ip", "addr", "add", ip+"/24", "dev", "w0")
	}
	l.in(l.world, "ip", "link", "set", "w0", "up")
	// The world knows the way back to the client, and nothing beyond.
	l.in(l.world, "ip", "route", "add", "10.66.1.0/24", "via", censorWIP)

	// The client's resolver, and the world's (for its proxies), is the
	// world's dnsmasq: no lookup ever goes to the machine's own resolver.
	for _, ns := range []string{l.client, l.world, l.censor} {
		etc := filepath.Join("/etc/netns", ns)
		if err := os.MkdirAll(etc, 0o755); err != nil {
			l.t.Fatal(err)
		}
		os.WriteFile(filepath.Join(etc, "resolv.conf"), []byte("nameserver "+worldIP+"\noptions timeout:1 attempts:1\n"), 0o644)
		os.WriteFile(filepath.Join(etc, "hosts"), []byte("127.0.0.1 localhost\n"), 0o644)
	}
}

// start runs a long-lived process in a namespace until the lab closes; when
// ready is not empty it waits for that line on the process's stdout.
func (l *lab) start(ns string, env []string, ready string, args ...string) {
	l.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		l.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		l.t.Fatalf("%v: %v", args, err)
	}
	l.procs = append(l.procs, cmd)
	if ready == "" {
		go drain(stdout)
		return
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == ready {
				lines <- ready
			}
		}
		close(lines)
	}()
	select {
	case _, ok := <-lines:
		if !ok {
			l.t.Fatalf("%v ended: %s", args, stderr.String())
		}
	case <-time.After(10 * time.Second):
		l.t.Fatalf("%v not ready: %s", args, stderr.String())
	}
}

func drain(r interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4096)
	for {
		if _, err := r.Read(buf); err != nil {
			return
		}
	}
}

// waitPort waits until addr accepts connections from inside ns.
func (l *lab) waitPort(ns, host, port string) {
	l.t.Helper()
	for range 100 {
		if exec.Command("ip", "netns", "exec", ns, "bash", "-c", "exec 3<>/dev/tcp/"+host+"/"+port).Run() == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	l.t.Fatalf("nothing listens on %s:%s in %s", host, port, ns)
}

func (l *lab) services() {
	if err := labCA(l.dir, append([]string{newsHost, mirrorHost, dohHost, tgHost, cdnHost}, telegramNames...), []string{newsIP, mirrorIP, dohIP, telegramIP, cdnIP}); err != nil {
		l.t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		l.t.Fatal(err)
	}
	env := []string{"KBLAB_CERT=" + filepath.Join(l.dir, "site.pem"), "KBLAB_KEY=" + filepath.Join(l.dir, "site-key.pem")}
	l.start(l.world, append(env, "KBLAB_ROLE=world"), "ready", self)
	l.start(l.censor, []string{"KBLAB_ROLE=censor"}, "ready", self)

	dns := func(ns, listen string, answers map[string]string) {
		args := []string{"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
			"--listen-address=" + listen, "--bind-interfaces", "--port=53", "--user=root", "--pid-file=",
			"--log-facility=/dev/null"}
		for name, ip := range answers {
			args = append(args, "--address=/"+name+"/"+ip)
		}
		l.start(ns, nil, "", args...)
		l.waitPort(ns, listen, "53")
	}
	worldNames := map[string]string{newsHost: newsIP, mirrorHost: mirrorIP, dohHost: dohIP, tgHost: telegramIP, cdnHost: cdnIP}
	for _, n := range telegramNames {
		worldNames[n] = telegramIP // inside the lab only: its own resolver
	}
	dns(l.world, worldIP, worldNames)
	// The censor's resolver: what DNS poisoning answers.
	dns(l.censor, censorIP, map[string]string{newsHost: blockedIP, mirrorHost: blockedIP, tgHost: blockedIP})

	l.start(l.world, nil, "", "microsocks", "-i", worldIP, "-p", socksPort)
	l.start(l.world, nil, "", "microsocks", "-i", worldIP, "-p", socksAuth, "-u", "lab", "-P", "labpass")
	conf := filepath.Join(l.dir, "tinyproxy.conf")
	os.WriteFile(conf, []byte("Port "+tinyPort+"\nListen "+worldIP+"\nTimeout 20\nAllow 10.66.0.0/16\nLogLevel Critical\nMaxClients 20\n"), 0o644)
	l.start(l.world, nil, "", "tinyproxy", "-d", "-c", conf)
	for _, p := range []string{socksPort, socksAuth, tinyPort} {
		l.waitPort(l.world, worldIP, p)
	}
	for _, ip := range []string{newsIP, mirrorIP, telegramIP} {
		l.waitPort(l.client, ip, "443")
	}
}

// namespaces are the lab's namespaces (the sharing lab has two).
func (l *lab) namespaces() []string {
	var out []string
	for _, ns := range []string{l.client, l.censor, l.world} {
		if ns != "" {
			out = append(out, ns)
		}
	}
	return out
}

func (l *lab) close() {
	for _, p := range l.procs {
		if p.Process != nil {
			// ip netns exec execs the command: the PID is the server's.
			p.Process.Kill()
			p.Wait()
		}
	}
	for _, ns := range l.namespaces() {
		exec.Command("ip", "netns", "del", ns).Run()
		os.RemoveAll(filepath.Join("/etc/netns", ns))
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, ns := range l.namespaces() {
		if strings.Contains(string(out), ns) {
			l.t.Errorf("namespace %s left behind", ns)
		}
	}
}

// censorRules switches a scenario on: an nftables script run in the
// censor, in its own table, and any other commands; off undoes it all.
func (l *lab) censorRules(nft string, extra ...[]string) (off func()) {
	l.t.Helper()
	if nft != "" {
		cmd := exec.Command("ip", "netns", "exec", l.censor, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader("table inet kblab {\n" + nft + "\n}\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			l.t.Fatalf("nft: %v\n%s\n%s", err, out, nft)
		}
	}
	for _, args := range extra {
		l.in(l.censor, args...)
	}
	return func() {
		exec.Command("ip", "netns", "exec", l.censor, "nft", "delete", "table", "inet", "kblab").Run()
		exec.Command("ip", "netns", "exec", l.censor, "iptables", "-F", "FORWARD").Run()
		exec.Command("ip", "netns", "exec", l.censor, "tc", "qdisc", "del", "dev", "x0", "root").Run()
	}
}

// leakCount reads the nft counter "leak" of the censor's lab table.
func (l *lab) leakCount() int {
	l.t.Helper()
	out := l.in(l.censor, "nft", "list", "counter", "inet", "kblab", "leak")
	f := strings.Fields(out[strings.Index(out, "packets"):])
	n, err := strconv.Atoi(f[1])
	if err != nil {
		l.t.Fatalf("counter: %s", out)
	}
	return n
}

// kabootar runs the real binary in the client namespace on data.
func (l *lab) kabootar(data string, args ...string) (code int, stdout, stderr string, took time.Duration) {
	l.t.Helper()
	return l.kabootarIn(l.client, data, args...)
}

// kabootarIn runs the real binary in namespace ns on data.
func (l *lab) kabootarIn(ns, data string, args ...string) (code int, stdout, stderr string, took time.Duration) {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, l.bin, "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+filepath.Join(l.dir, "ca.pem"), "LANG=en_US.UTF-8",
		"KABOOTAR_TELEGRAM=https://"+tgHost, // the lab's Telegram
		"ALL_PROXY=", "HTTPS_PROXY=", "HTTP_PROXY=", "all_proxy=", "https_proxy=", "http_proxy=")
	cmd.Env = append(cmd.Env, l.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		l.t.Fatalf("kabootar %v: %v", args, err)
	}
	return code, out.String(), errb.String(), took
}

func (l *lab) must(data string, args ...string) string {
	l.t.Helper()
	code, out, errs, _ := l.kabootar(data, args...)
	if code != 0 {
		l.t.Fatalf("kabootar %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// reader is a fresh data directory configured as a reader in the lab
// would: the lab's DoH resolver, the lab's range trusted, a SOCKS5 proxy.
func (l *lab) reader(name string) string {
	data := filepath.Join(l.dir, "data-"+name)
	os.MkdirAll(data, 0o700)
	l.must(data, "transport", "set", "--tor", "off", "--doh", "https://"+dohHost+"/dns-query@"+dohIP, "--trust", labCIDR,
		"--proxy", "socks5://"+worldIP+":"+socksPort)
	return data
}

type refreshOut struct {
	Sources []struct {
		ID          int64
		OK          bool
		Route       string
		URLUsed     string `json:"url_used"`
		New         int
		NotModified bool `json:"not_modified"`
		MS          int64
		Verdicts    []struct{ Route, URL, Verdict string }
		Error       string
	}
	Offline bool
	Media   struct{ Images, Failed int }
	Tor     *struct {
		Started bool
		PID     int
		Error   string
	}
}

func (l *lab) refresh(data string) (int, refreshOut, time.Duration) {
	l.t.Helper()
	args := []string{"refresh", "--json"}
	if os.Getenv("KBLAB_VERBOSE") != "" {
		args = append([]string{"--verbose"}, args...)
	}
	code, out, errs, took := l.kabootar(data, args...)
	if os.Getenv("KBLAB_VERBOSE") != "" {
		l.t.Log(errs)
	}
	var r refreshOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		l.t.Fatalf("refresh --json: %v\n%s\n%s", err, out, errs)
	}
	return code, r, took
}

func (l *lab) articleCount(data string, extra ...string) int {
	l.t.Helper()
	var a struct{ Articles []json.RawMessage }
	out := l.must(data, append([]string{"articles", "--json", "--limit", "1000"}, extra...)...)
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		l.t.Fatalf("articles: %v", err)
	}
	return len(a.Articles)
}

// verdictList is each route's verdicts once, in the order first seen.
func verdictList(r refreshOut) string {
	var vs []string
	seen := map[string]bool{}
	for _, s := range r.Sources {
		for _, v := range s.Verdicts {
			if k := v.Route + ":" + v.Verdict; !seen[k] {
				seen[k] = true
				vs = append(vs, k)
			}
		}
	}
	return strings.Join(vs, " ")
}

var _ = fmt.Sprint
