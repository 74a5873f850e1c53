// Package misbehave runs the real kabootar binary against a server built
// to misbehave, on loopback only: deep nesting, endless and inflating
// bodies, servers that hang, trickle or cut off, redirect chains, hostile
// links and terminal escapes, pixel bombs, huge OPML files and bundles.
// Each case checks the exit code, the peak memory, what is stored and
// what is printed.
package misbehave

import (
	"archive/zip"
	"bytes"
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

// maxRSS bounds the peak memory of any command here, whatever it was fed.
const maxRSS = 150 << 10 // KB

var (
	bin string
	srv struct{ URL, raw string } // the misbehaving server's addresses
)

func TestMain(m *testing.M) {
	if os.Getenv("MISBEHAVE_SERVE") == "1" {
		serve()
	}
	dir, err := os.MkdirTemp("", "kabootar-misbehave-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "kabootar")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/kabootar").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building kabootar: %v\n%s", err, out)
		os.Exit(1)
	}
	server := exec.Command(os.Args[0], "-test.run=^$")
	server.Env = append(os.Environ(), "MISBEHAVE_SERVE=1")
	out, _ := server.StdoutPipe()
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := fmt.Fscanf(out, "serving %s %s\n", &srv.URL, &srv.raw); err != nil {
		fmt.Fprintln(os.Stderr, "the misbehaving server did not start:", err)
		server.Process.Kill()
		os.Exit(1)
	}
	code := m.Run()
	server.Process.Kill()
	server.Wait()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
	rssKB          int64
	took           time.Duration
}

// reader is a data directory that contacts nothing but loopback.
type reader struct {
	t    *testing.T
	data string
}

func newReader(t *testing.T, feeds ...string) *reader {
	r := &reader{t: t, data: t.TempDir()}
	r.must(0, "transport", "set", "--doh", "off", "--tor", "off") // never the public resolvers or Tor's bridges
	if len(feeds) > 0 {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><opml version="2.0"><body>`)
		for i, f := range feeds {
			fmt.Fprintf(&b, `<outline text="case %d" xmlUrl="%s"/>`, i, f)
		}
		b.WriteString(`</body></opml>`)
		path := filepath.Join(r.data, "cases.opml")
		os.WriteFile(path, []byte(b.String()), 0o600)
		r.must(0, "opml", "import", path)
	}
	return r
}

func (r *reader) run(args ...string) result {
	r.t.Helper()
	cmd := exec.Command(bin, append([]string{"--data", r.data}, args...)...)
	cmd.Env = []string{"HOME=" + r.data, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "KABOOTAR_TELEGRAM=http://127.0.0.1:1"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("kabootar %v: %v", args, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.rssKB = ru.Maxrss
	}
	// What every command prints: no terminal control sequences, no line
	// of unbounded length, and memory within the bound.
	for _, s := range []string{res.stdout, res.stderr} {
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			r.t.Errorf("kabootar %v printed control characters: %q", args, firstLines(s))
		}
		for _, l := range strings.Split(s, "\n") {
			if len(l) > 600 {
				r.t.Errorf("kabootar %v printed a line of %d bytes: %.120q…", args, len(l), l)
			}
		}
	}
	if res.rssKB > maxRSS {
		r.t.Errorf("kabootar %v: peak RSS %d MB, want at most %d MB", args, res.rssKB>>10, maxRSS>>10)
	}
	r.t.Logf("kabootar %s: exit %d, %.1f s, peak RSS %.1f MB", strings.Join(args, " "), res.code, res.took.Seconds(), float64(res.rssKB)/1024)
	return res
}

func (r *reader) must(code int, args ...string) string {
	r.t.Helper()
	res := r.run(args...)
	if res.code != code {
		r.t.Fatalf("kabootar %v: exit %d, want %d\n%s\n%s", args, res.code, code, res.stdout, res.stderr)
	}
	return res.stdout
}

func (r *reader) json(v any, args ...string) {
	r.t.Helper()
	out := r.must(0, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		r.t.Fatalf("kabootar %v: %v", args, err)
	}
}

func firstLines(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

type refreshOut struct {
	Sources []struct {
		URL   string
		OK    bool
		New   int
		Error string
	}
	Offline bool
	Media   struct{ Images, Failed int }
}

// goWords are Go's own error texts, which mean nothing to a reader.
var goWords = []string{"context deadline exceeded", "net/http:", "unexpected EOF", `Get "`, "exceeded max depth",
	"redirect loop", "invalid port", "invalid character"}

// Feeds that would take memory without bound are refused or trimmed, one
// refresh each, every one within the memory bound.
func TestMemoryBounds(t *testing.T) {
	tests := []struct {
		path string
		code int
		says string // in the source's error
		keep int    // articles kept at most
	}{
		{"/deep-small.xml", 1, "nested", 0},
		{"/deep-big.xml", 1, "nested", 0},
		{"/deep.json", 1, "nested", 0},
		{"/items-100k.xml", 0, "", 500},
		{"/gzip-bomb.xml", 1, "larger than", 0},
		{"/big.xml", 1, "larger than", 0},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			t.Parallel()
			r := newReader(t, srv.URL+tt.path)
			res := r.run("refresh", "--json")
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", res.code, tt.code, res.stderr)
			}
			var out refreshOut
			json.Unmarshal([]byte(res.stdout), &out)
			if len(out.Sources) != 1 || !strings.Contains(out.Sources[0].Error, tt.says) {
				t.Errorf("refresh: %+v, want an error saying %q", out.Sources, tt.says)
			}
			var arts struct{ Articles []json.RawMessage }
			r.json(&arts, "articles", "--json", "--limit", "100000")
			if len(arts.Articles) > tt.keep || (tt.keep > 0 && len(arts.Articles) != tt.keep) {
				t.Errorf("%d articles stored, want %d", len(arts.Articles), tt.keep)
			}
		})
	}
}

// Servers that hang, trickle, cut off or loop are said in plain words.
func TestPlainWords(t *testing.T) {
	t.Parallel()
	r := newReader(t, srv.URL+"/hang.xml", srv.URL+"/stall.xml", srv.URL+"/eof.xml", srv.URL+"/hop/0",
		"http://"+srv.raw+"/feed.xml")
	// --verbose: the detail goes to stderr, for those who ask.
	res := r.run("--verbose", "refresh")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1", res.code)
	}
	for _, want := range []string{"did not answer within 20 s", "stopped sending after 60 s", "closed before the end",
		"more than 10 redirects", "server answered 500"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the refresh does not say %q:\n%s", want, res.stdout)
		}
	}
	for _, w := range goWords {
		if strings.Contains(res.stdout, w) {
			t.Errorf("the refresh speaks Go (%q):\n%s", w, res.stdout)
		}
	}
	if res.took > 90*time.Second {
		t.Errorf("took %v", res.took)
	}
	if !strings.Contains(res.stderr, "http-timeout") {
		t.Errorf("--verbose gives no detail:\n%s", firstLines(res.stderr))
	}
}

// Hostile links, escapes and scripts are not stored; pixel bombs are not
// kept; a source's other articles are.
func TestHostileContent(t *testing.T) {
	t.Parallel()
	r := newReader(t, srv.URL+"/hostile.xml", srv.URL+"/escapes.json", srv.URL+"/images.xml")
	r.must(0, "refresh")
	var arts struct {
		Articles []struct {
			ID    int64
			Title string
			URL   string
		}
	}
	r.json(&arts, "articles", "--json")
	if len(arts.Articles) != 6 {
		t.Errorf("%d articles stored, want 6", len(arts.Articles))
	}
	for _, a := range arts.Articles {
		if a.URL != "" && !strings.HasPrefix(a.URL, "http") {
			t.Errorf("article %d links to %q", a.ID, a.URL)
		}
		if strings.Contains(a.Title, "alert(") || strings.Contains(a.Title, "display:none") {
			t.Errorf("article %d's title keeps script text: %q", a.ID, a.Title)
		}
		show := r.must(0, "show", fmt.Sprint(a.ID))
		for _, bad := range []string{"javascript:", "vbscript:", "smb:", "file:", "data:text"} {
			if strings.Contains(show, bad) {
				t.Errorf("show %d prints %q:\n%s", a.ID, bad, show)
			}
		}
		if a.Title == "pictures" && (!strings.Contains(show, "good.png (saved") || strings.Contains(show, "bomb.png (saved")) {
			t.Errorf("images of %d: the good one saved, the pixel bomb not:\n%s", a.ID, show)
		}
	}
	if out := r.must(0, "articles"); !strings.Contains(out, "red title") {
		t.Errorf("the escaped title is not listed, cleaned:\n%s", out)
	}
	var srcs struct{ Sources []map[string]any }
	r.json(&srcs, "sources", "list", "--json")
	b, _ := json.Marshal(srcs)
	if bytes.Contains(b, []byte("javascript:")) {
		t.Errorf("a source keeps a script address: %s", b)
	}
}

// A host that sends its images a byte a second holds the refresh up for a
// bounded time; the timeouts are recorded and the rest waits for the next
// refresh.
func TestTricklingImages(t *testing.T) {
	t.Parallel()
	r := newReader(t, srv.URL+"/slow-images.xml")
	res := r.run("refresh", "--json")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	// Six at a time (the per-host limit) time out after 20 s; the next two
	// have started by the third timeout; then the host's other images
	// wait for the next refresh.
	if res.took > 45*time.Second {
		t.Errorf("the refresh took %v with trickling images", res.took)
	}
	var out refreshOut
	json.Unmarshal([]byte(res.stdout), &out)
	if out.Media.Failed < 3 {
		t.Errorf("media %+v: the timeouts are not recorded", out.Media)
	}
	// Each article says what became of its images: timed out, or not
	// fetched yet (set aside for the next refresh).
	var timedOut, later int
	for id := 1; id <= 40; id++ {
		show := r.must(0, "show", fmt.Sprint(id))
		timedOut += strings.Count(show, "http-timeout")
		later += strings.Count(show, "not fetched yet")
	}
	if timedOut < 3 || later == 0 || timedOut+later != 80 {
		t.Errorf("of 80 images, %d timed out and %d wait for the next refresh", timedOut, later)
	}
}

// An OPML file of 100,000 outlines is refused whole, saying why.
func TestHugeOPML(t *testing.T) {
	t.Parallel()
	r := newReader(t)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><opml version="2.0"><body>`)
	for i := range 100_000 {
		fmt.Fprintf(&b, `<outline text="f%d" xmlUrl="http://127.0.0.1:1/%d"/>`, i, i)
	}
	b.WriteString(`</body></opml>`)
	path := filepath.Join(t.TempDir(), "huge.opml")
	os.WriteFile(path, []byte(b.String()), 0o600)
	res := r.run("opml", "import", path)
	if res.code == 0 || !strings.Contains(res.stderr, "at most 10000") {
		t.Errorf("exit %d: %s", res.code, res.stderr)
	}
	if out := r.must(0, "sources", "list"); !strings.Contains(out, "No sources yet") {
		t.Errorf("something was imported:\n%.300s", out)
	}
	// A raw byte in a broken file is not printed back.
	os.WriteFile(path, []byte("<opml><body><outline text=\"\x1b\x01\"</body>"), 0o600)
	if res := r.run("opml", "import", path); res.code == 0 || !strings.Contains(res.stderr, "not well-formed") {
		t.Errorf("broken OPML: exit %d: %s", res.code, res.stderr)
	}
	res = r.run("sources", "add", "https://javascript:alert(1)")
	if res.code != 2 || !strings.Contains(res.stderr, "only http and https addresses can be followed") || strings.Contains(res.stderr, "invalid port") {
		t.Errorf("sources add javascript: exit %d: %s", res.code, res.stderr)
	}
}

// A small bundle that inflates to hundreds of megabytes of article HTML is
// imported within the memory bound.
func TestBundleBomb(t *testing.T) {
	t.Parallel()
	r := newReader(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("manifest.json")
	fmt.Fprint(w, `{"format":"kabootar-bundle","version":1,"sources":[{"key":1,"kind":"feed","url":"https://bomb.example/feed","name":"bomb"}],"articles":141}`)
	w, _ = zw.Create("articles.jsonl")
	html := "<p>" + strings.Repeat("x", 1900<<10) + "</p>"
	for i := range 140 {
		fmt.Fprintf(w, `{"source":1,"guid":"b%d","title":"big %d","html":%q,"published":1700000000}`+"\n", i, i, html)
	}
	fmt.Fprint(w, `{"source":1,"guid":"esc","title":"\u001b[2Jescaped","url":"file:///etc/passwd","html":"<p>x</p>","published":1700000000}`+"\n")
	zw.Close()
	path := filepath.Join(t.TempDir(), "bomb.zip")
	os.WriteFile(path, buf.Bytes(), 0o600)
	t.Logf("bundle of %d KB", buf.Len()>>10)
	r.must(0, "bundle", "import", path, "--accept") // unsigned: on the reader's word
	var arts struct {
		Articles []struct{ Title, URL string }
	}
	r.json(&arts, "articles", "--json", "--limit", "1000")
	if len(arts.Articles) != 141 {
		t.Errorf("%d articles imported, want 141", len(arts.Articles))
	}
	for _, a := range arts.Articles {
		if strings.ContainsRune(a.Title, 0x1b) || a.URL != "" {
			t.Errorf("imported %q %q", a.Title, a.URL)
		}
	}
}
