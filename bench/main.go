// Command bench measures `kabootar refresh` on a generated corpus served on
// loopback — cold into an empty data directory, then warm (every answer a
// 304) — and, when Newsboat is installed, Newsboat on the same corpus.
// It contacts nothing but 127.0.0.1.
package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	_ "modernc.org/sqlite"
)

// counter reads and resets the server's counts of full answers and 304s.
type counter struct{ base string }

func (c *counter) take() (full, not int) {
	resp, err := http.Get(c.base + "/stats")
	if err != nil {
		return -1, -1
	}
	defer resp.Body.Close()
	fmt.Fscanf(resp.Body, "%d %d", &full, &not)
	return full, not
}

// startServer starts this program in -serve mode and waits for the
// address it listens on.
func startServer(feeds, items, size int) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, "-serve", "-feeds", fmt.Sprint(feeds), "-items", fmt.Sprint(items), "-size", fmt.Sprint(size))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return nil, "", fmt.Errorf("corpus server: %w", err)
		}
		if addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening "); ok {
			go io.Copy(io.Discard, r)
			return cmd, "http://" + addr, nil
		}
		fmt.Print(line)
	}
}

// serveCorpus generates the corpus and serves it on loopback until killed.
func serveCorpus(feeds, items, size int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	start := time.Now()
	corpus := makeCorpus(feeds, items, size, 1, "")
	// The same feeds with an image in every item, on this server.
	withImages := makeCorpus(feeds, items, size, 1, "http://"+ln.Addr().String())
	total := 0
	for _, f := range corpus {
		total += len(f.body)
	}
	fmt.Printf("corpus: %d feeds x %d items, %.1f MB, generated in %v; the same with one 4 KB image an item at /imgfeed/\n",
		feeds, items, float64(total)/1e6, time.Since(start).Round(time.Millisecond))
	fmt.Printf("listening %s\n", ln.Addr())
	var st stats
	mux := http.NewServeMux()
	mux.Handle("/feed/", handler(corpus, &st))
	mux.Handle("/fresh/", handler(corpus, &st))
	mux.Handle("/imgfeed/", handler(withImages, &st))
	mux.Handle("/img/", imageHandler(&st))
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		full, not := st.take()
		fmt.Fprintf(w, "%d %d\n", full, not)
	})
	fail(http.Serve(ln, mux))
}

type stats struct {
	mu        sync.Mutex
	full, not int
	images    int
}

func (c *stats) addImage() {
	c.mu.Lock()
	c.images++
	c.mu.Unlock()
}

func (c *stats) add(notModified bool) {
	c.mu.Lock()
	if notModified {
		c.not++
	} else {
		c.full++
	}
	c.mu.Unlock()
}

func (c *stats) take() (full, not int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Images count as full answers.
	full, not = c.full+c.images, c.not
	c.full, c.not, c.images = 0, 0, 0
	return
}

type row struct {
	tool, run  string
	wall, cpu  time.Duration
	rssKB      int64
	articles   int
	images     int // stored for offline reading
	full, n304 int
	err        error
}

func main() {
	kabootar := flag.String("kabootar", "bin/kabootar", "the kabootar binary")
	feeds := flag.Int("feeds", 1000, "feeds in the corpus")
	items := flag.Int("items", 50, "items per feed")
	size := flag.Int("size", 100_000, "bytes per feed, about")
	newsboat := flag.String("newsboat", "newsboat", "the newsboat binary; skipped when not found")
	keep := flag.Bool("keep", false, "keep the data directories and print where")
	blocked := flag.Bool("blocked", true, "also time a feed behind a blackholed direct route, through a SOCKS5 proxy")
	serve := flag.Bool("serve", false, "(internal) generate and serve the corpus, print its address")
	flag.Parse()

	if *serve {
		serveCorpus(*feeds, *items, *size)
		return
	}
	// The corpus is served by a child process: were it held here, every
	// process started from here would count this one's memory in its peak
	// RSS (Linux carries the high-water mark across fork and exec).
	srv, baseURL, err := startServer(*feeds, *items, *size)
	if err != nil {
		fail(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	hits := &counter{base: baseURL}

	work, err := os.MkdirTemp("", "kabootar-bench-")
	if err != nil {
		fail(err)
	}
	if *keep {
		fmt.Println("data kept in", work)
	} else {
		defer os.RemoveAll(work)
	}

	var rows []row
	rows = append(rows, benchKabootar(*kabootar, work, baseURL, *feeds, hits)...)
	if path, err := exec.LookPath(*newsboat); err == nil {
		rows = append(rows, benchNewsboat(path, work, baseURL, *feeds, hits)...)
	} else {
		fmt.Println("newsboat: not installed, so not compared (apt-get install newsboat)")
	}
	printTable(rows)
	if *blocked {
		printBlocked(benchBlocked(*kabootar, work, baseURL))
	}
}

func printBlocked(rows []blockedRow) {
	fmt.Printf("\nfirst article of one feed, median of %d runs (kabootar process start to exit):\n", blockedRuns)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\ttime\troute\tvs unblocked\truns")
	var base time.Duration
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\t\t\t\n", r.name, r.err)
			continue
		}
		if base == 0 {
			base = r.median
		}
		var runs []string
		for _, d := range r.runs {
			runs = append(runs, fmt.Sprintf("%.0f", float64(d.Microseconds())/1000))
		}
		fmt.Fprintf(tw, "%s\t%.0f ms\t%s\t%.2fx\t%s ms\n", r.name, float64(r.median.Microseconds())/1000, r.route,
			float64(r.median)/float64(base), strings.Join(runs, " "))
	}
	tw.Flush()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// benchKabootar times a cold and a warm refresh of the corpus, then a cold
// refresh of the same feeds with an image in every item (kept offline),
// each into its own data directory, and `articles --json` of every article.
func benchKabootar(bin, work, baseURL string, n int, hits *counter) []row {
	var rows []row
	for _, c := range []struct{ name, path string }{{"", "/feed/"}, {"+images", "/imgfeed/"}} {
		data := filepath.Join(work, "kabootar"+c.name)
		os.MkdirAll(data, 0o700)
		var opml strings.Builder
		opml.WriteString(`<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>`)
		for i := range n {
			fmt.Fprintf(&opml, `<outline text="f%d" xmlUrl="%s%s%d"/>`, i, baseURL, c.path, i)
		}
		opml.WriteString("</body></opml>")
		opmlPath := filepath.Join(work, "bench.opml")
		os.WriteFile(opmlPath, []byte(opml.String()), 0o600)
		if out, err := exec.Command(bin, "--data", data, "opml", "import", opmlPath).CombinedOutput(); err != nil {
			fail(fmt.Errorf("opml import: %v\n%s", err, out))
		}
		runs := []string{"cold", "warm"}
		if c.name != "" {
			runs = []string{"cold"}
		}
		db := filepath.Join(data, "kabootar.db")
		for _, run := range runs {
			r := row{tool: "kabootar", run: run + c.name}
			r.wall, r.cpu, r.rssKB, r.err = timed(exec.Command(bin, "--data", data, "refresh", "--json"))
			r.full, r.n304 = hits.take()
			r.articles = countArticles(db, "SELECT count(*) FROM articles")
			if c.name != "" {
				r.images = countArticles(db, "SELECT count(*) FROM blobs")
			}
			rows = append(rows, r)
		}
		if c.name != "" {
			r := row{tool: "kabootar", run: "articles --json"}
			r.wall, r.cpu, r.rssKB, r.err = timed(exec.Command(bin, "--data", data, "articles", "--json", "--limit", "100000"))
			r.articles = countArticles(db, "SELECT count(*) FROM articles")
			rows = append(rows, r)
		}
	}
	return append(rows, benchBundles(bin, work)...)
}

// benchBundles times signed bundles: the text-only cache exported (50,000
// articles) and imported into the one with images, which then holds
// 100,000 articles and 50,000 images; that one exported and imported into
// an empty data directory. Imports are streamed: memory stays bounded.
func benchBundles(bin, work string) []row {
	text, images, fresh := filepath.Join(work, "kabootar"), filepath.Join(work, "kabootar+images"), filepath.Join(work, "kabootar-import")
	os.MkdirAll(fresh, 0o700)
	half, whole := filepath.Join(work, "half.zip"), filepath.Join(work, "whole.zip")
	var rows []row
	for _, step := range []struct {
		run, data string
		args      []string
	}{
		{"bundle export", text, []string{"bundle", "export", half}},
		{"bundle import", images, []string{"bundle", "import", half, "--accept"}},
		{"bundle export", images, []string{"bundle", "export", whole}},
		{"bundle import", fresh, []string{"bundle", "import", whole, "--accept"}},
	} {
		r := row{tool: "kabootar", run: step.run}
		r.wall, r.cpu, r.rssKB, r.err = timed(exec.Command(bin, append([]string{"--data", step.data}, step.args...)...))
		db := filepath.Join(step.data, "kabootar.db")
		r.articles = countArticles(db, "SELECT count(*) FROM articles")
		r.images = countArticles(db, "SELECT count(*) FROM blobs")
		if info, err := os.Stat(step.args[2]); err == nil {
			r.run += fmt.Sprintf(" (%.0f MB)", float64(info.Size())/(1<<20))
		}
		rows = append(rows, r)
	}
	return rows
}

func benchNewsboat(bin, work, baseURL string, n int, hits *counter) []row {
	dir := filepath.Join(work, "newsboat")
	os.MkdirAll(dir, 0o700)
	var urls strings.Builder
	for i := range n {
		fmt.Fprintf(&urls, "%s/feed/%d\n", baseURL, i)
	}
	urlsPath := filepath.Join(dir, "urls")
	os.WriteFile(urlsPath, []byte(urls.String()), 0o600)
	conf := filepath.Join(dir, "config")
	os.WriteFile(conf, []byte("reload-threads 16\nshow-read-feeds yes\n"), 0o600)
	db := filepath.Join(dir, "cache.db")
	var rows []row
	for _, run := range []string{"cold", "warm"} {
		cmd := exec.Command(bin, "-u", urlsPath, "-c", db, "-C", conf, "-x", "reload")
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
		r := row{tool: "newsboat", run: run}
		r.wall, r.cpu, r.rssKB, r.err = timed(cmd)
		r.full, r.n304 = hits.take()
		r.articles = countArticles(db, "SELECT count(*) FROM rss_item")
		rows = append(rows, r)
	}
	return rows
}

// timed runs cmd and returns its wall time, CPU time (user and system) and
// peak resident memory.
func timed(cmd *exec.Cmd) (wall, cpu time.Duration, rss int64, err error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = &discard{}
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss // KB on Linux
		}
	}
	if err != nil {
		// Exit 1 means some sources failed; report it, keep the figures.
		err = fmt.Errorf("%v: %s", err, strings.TrimSpace(lastLine(stderr.String())))
	}
	return wall, cpu, rss, err
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func countArticles(dbPath, q string) int {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro")
	if err != nil {
		return -1
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		return -1
	}
	return n
}

func printTable(rows []row) {
	fmt.Printf("\nmachine: %s/%s, %d cores (GOMAXPROCS %d), %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel())
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tool\trun\twall\tCPU\tpeak RSS\tarticles\timages\t200s\t304s\tvs newsboat\t")
	by := map[string]row{}
	for _, r := range rows {
		by[r.tool+"/"+r.run] = r
	}
	for _, r := range rows {
		ratio := ""
		if nb, ok := by["newsboat/"+r.run]; ok && r.tool == "kabootar" && r.wall > 0 {
			ratio = fmt.Sprintf("%.2fx time, %.2fx RSS", r.wall.Seconds()/nb.wall.Seconds(), float64(r.rssKB)/float64(nb.rssKB))
		}
		if text, ok := by["kabootar/cold"]; ok && r.run == "cold+images" && text.wall > 0 {
			ratio = fmt.Sprintf("%.2fx the text-only cold refresh", r.wall.Seconds()/text.wall.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2f s\t%.2f s\t%.1f MB\t%d\t%d\t%d\t%d\t%s\t\n", r.tool, r.run, r.wall.Seconds(), r.cpu.Seconds(), float64(r.rssKB)/1024, r.articles, r.images, r.full, r.n304, ratio)
	}
	tw.Flush()
	for _, r := range rows {
		if r.err != nil {
			fmt.Printf("%s %s: %v\n", r.tool, r.run, r.err)
		}
	}
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.IndexByte(l, ':'); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return ""
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
