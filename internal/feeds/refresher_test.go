package feeds

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// feedServer serves fixtures and misbehaviours; its handlers can be
// swapped between refreshes.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	routes   map[string]http.HandlerFunc
	inFlight atomic.Int32
	peak     atomic.Int32
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{routes: map[string]http.HandlerFunc{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := fs.inFlight.Add(1)
		defer fs.inFlight.Add(-1)
		for {
			p := fs.peak.Load()
			if n <= p || fs.peak.CompareAndSwap(p, n) {
				break
			}
		}
		fs.mu.Lock()
		h := fs.routes[r.URL.Path]
		fs.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) handle(path string, h http.HandlerFunc) {
	fs.mu.Lock()
	fs.routes[path] = h
	fs.mu.Unlock()
}

// serveFeed serves body with an ETag, answering 304 when it matches.
func serveFeed(body []byte, etag string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(body)
	}
}

func serveBytes(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write(body) }
}

type env struct {
	store *cache.Store
	r     *Refresher
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), cache.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client := transport.New(transport.Options{RequestTimeout: time.Second, HeaderTimeout: time.Second, MaxBytes: 1 << 20})
	t.Cleanup(client.Close)
	return &env{store: st, r: &Refresher{Fetcher: client, Store: st, Parser: NewParser()}}
}

func (e *env) add(t *testing.T, url string, mirrors ...string) cache.Source {
	t.Helper()
	id, err := e.store.AddSource(context.Background(), cache.Source{Kind: cache.KindFeed, URL: url, Mirrors: mirrors})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.store.Source(context.Background(), id)
	return s
}

func (e *env) refreshAll(t *testing.T) map[string]Result {
	t.Helper()
	srcs, err := e.store.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Result{}
	for _, r := range e.r.Refresh(context.Background(), srcs, nil) {
		out[r.Source.URL] = r
	}
	return out
}

func TestRefreshStoresAndThenMovesOnly304s(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/fa", serveFeed(readFixture(t, "rss2-fa.xml"), `"fa1"`))
	fs.handle("/atom", serveFeed(readFixture(t, "atom.xml"), `"at1"`))
	e := newEnv(t)
	fa := e.add(t, fs.URL+"/fa")
	e.add(t, fs.URL+"/atom")

	res := e.refreshAll(t)
	if r := res[fa.URL]; !r.OK || r.New != 3 || r.Route != transport.RouteDirect || r.URLUsed != fa.URL || r.NotModified {
		t.Fatalf("first refresh: %+v", r)
	}
	src, _ := e.store.Source(context.Background(), fa.ID)
	if src.Name != "خبرگزاری نمونه" || src.ETag != `"fa1"` || src.LastRoute != "direct" || src.NextDue.IsZero() {
		t.Fatalf("source after refresh: %+v", src)
	}

	res = e.refreshAll(t)
	for u, r := range res {
		if !r.OK || !r.NotModified || r.New != 0 {
			t.Errorf("%s: second refresh should be a 304: %+v", u, r)
		}
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{}); len(got) != 4 {
		t.Errorf("%d articles after the 304s, want 4", len(got))
	}
}

// TestBadSourcesFailAloneAndLoseNothing refreshes good sources beside every
// kind of bad answer, after each bad source had good articles cached.
func TestBadSourcesFailAloneAndLoseNothing(t *testing.T) {
	fs := newFeedServer(t)
	good := readFixture(t, "atom.xml")
	bad := map[string]struct {
		h       http.HandlerFunc
		verdict transport.Verdict
		msg     string
	}{
		"/html":      {serveBytes(readFixture(t, "page-nofeed.html")), transport.VerdictBodyInvalid, "web page"},
		"/blockpage": {serveBytes(readFixture(t, "blockpage.html")), transport.VerdictHTTPBlockpage, "block page"},
		"/empty":     {serveBytes(nil), transport.VerdictBodyInvalid, "empty"},
		"/truncated": {serveBytes(readFixture(t, "rss-truncated.xml")), transport.VerdictBodyInvalid, "cut short"},
		"/huge": {func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for range 1 << 17 { // 8 GB if nobody stopped reading
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, transport.VerdictBodyTooLarge, "larger than"},
		"/hang": {func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, transport.VerdictHTTPTimeout, "did not answer within"},
		"/loop":    {func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) }, transport.VerdictHTTPRedirectLoop, "redirect"},
		"/missing": {http.NotFound, transport.VerdictHTTPStatus, "404"},
	}
	e := newEnv(t)
	e.add(t, fs.URL+"/good")
	fs.handle("/good", serveFeed(good, `"g"`))
	for path := range bad {
		e.add(t, fs.URL+path)
		fs.handle(path, serveBytes(readFixture(t, "rss2-fa.xml")))
	}
	e.refreshAll(t) // every source has three cached articles now
	before, _ := e.store.Articles(context.Background(), cache.Query{Limit: 1000})

	for path, b := range bad {
		fs.handle(path, b.h)
	}
	fs.handle("/good", serveFeed(readFixture(t, "feed.json"), `"g2"`))
	start := time.Now()
	res := e.refreshAll(t)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("refresh took %v: a bad source held up the rest", d)
	}
	if r := res[fs.URL+"/good"]; !r.OK || r.New != 1 {
		t.Errorf("good source beside bad ones: %+v", r)
	}
	for path, b := range bad {
		r := res[fs.URL+path]
		if r.OK || r.Verdict != b.verdict || !strings.Contains(r.Err.Error(), b.msg) {
			t.Errorf("%s: ok=%v verdict %q err %v; want verdict %q saying %q", path, r.OK, r.Verdict, r.Err, b.verdict, b.msg)
		}
		src, _ := e.store.Source(context.Background(), r.Source.ID)
		if src.LastVerdict != string(b.verdict) || src.Failures != 1 || src.LastError == "" {
			t.Errorf("%s: failure not recorded: %+v", path, src)
		}
	}
	after, _ := e.store.Articles(context.Background(), cache.Query{Limit: 1000})
	if len(after) != len(before)+1 {
		t.Fatalf("%d articles before, %d after; want one more (the good source's)", len(before), len(after))
	}
	if got, _ := e.store.Articles(context.Background(), cache.Query{Search: "MNN3"}); len(got) != 0 {
		t.Error("a block page was stored as an article")
	}
}

func TestRefreshFallsBackToMirror(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/mirror", serveFeed(readFixture(t, "atom.xml"), `"m"`))
	fs.handle("/blocked", serveBytes(readFixture(t, "blockpage.html")))
	e := newEnv(t)
	src := e.add(t, fs.URL+"/blocked", fs.URL+"/mirror")
	r := e.refreshAll(t)[src.URL]
	if !r.OK || r.URLUsed != fs.URL+"/mirror" || r.New != 1 {
		t.Fatalf("%+v", r)
	}
	if len(r.Attempts) != 2 || r.Attempts[0].Verdict != transport.VerdictHTTPBlockpage {
		t.Errorf("attempts %+v", r.Attempts)
	}
	// A mirror's validators are not sent to the main URL.
	s, _ := e.store.Source(context.Background(), src.ID)
	if s.ETag != "" {
		t.Errorf("ETag %q kept from the mirror", s.ETag)
	}
	// The source remembers which address served it, for the window.
	if s.LastURL != fs.URL+"/mirror" {
		t.Errorf("LastURL %q", s.LastURL)
	}
}

func TestRefreshBoundsConcurrencyPerHost(t *testing.T) {
	fs := newFeedServer(t)
	e := newEnv(t)
	e.r.PerHost = 2
	e.r.Concurrency = 16
	body := readFixture(t, "atom.xml")
	for i := range 12 {
		p := fmt.Sprintf("/f%d", i)
		fs.handle(p, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(30 * time.Millisecond)
			w.Write(body)
		})
		e.add(t, fs.URL+p)
	}
	var calls []Progress
	srcs, _ := e.store.Sources(context.Background())
	e.r.Refresh(context.Background(), srcs, func(p Progress) { calls = append(calls, p) })
	if p := fs.peak.Load(); p > 2 {
		t.Errorf("%d requests at once to one host, limit 2", p)
	}
	if len(calls) != 12 || calls[11].Done != 12 || calls[11].Total != 12 {
		t.Errorf("progress: %d calls, last %+v", len(calls), calls[len(calls)-1])
	}
}

func TestRefreshCancelled(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/slow", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	e := newEnv(t)
	for i := range 5 {
		e.add(t, fmt.Sprintf("%s/slow?%d", fs.URL, i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	srcs, _ := e.store.Sources(context.Background())
	start := time.Now()
	res := e.r.Refresh(ctx, srcs, nil)
	if time.Since(start) > 3*time.Second {
		t.Error("cancel did not stop the refresh")
	}
	for _, r := range res {
		if r.OK || r.Err == nil {
			t.Errorf("%+v", r)
		}
	}
}

func TestBackoff(t *testing.T) {
	r := &Refresher{Interval: 10 * time.Minute, MaxBackoff: time.Hour}
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{{1, 10 * time.Minute}, {2, 20 * time.Minute}, {3, 40 * time.Minute}, {4, time.Hour}, {50, time.Hour}} {
		if got := r.backoff(tt.n); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

// blackholeDial is a network that carries nothing: every connection waits
// until it is given up. Nothing is ever sent anywhere.
func blackholeDial(ctx context.Context, network, addr string) (net.Conn, error) {
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
}

// In a shutdown the refresh gives up after the first few hosts, however
// many sources there are, and leaves every source's state as it was.
func TestRefreshSeesAShutdown(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{5, 60} {
		t.Run(fmt.Sprint(n, " sources"), func(t *testing.T) {
			st, err := cache.Open(ctx, filepath.Join(t.TempDir(), cache.FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			client := transport.New(transport.Options{Dial: blackholeDial, GiveUp: 300 * time.Millisecond,
				ConnectTimeout: 5 * time.Second, Stagger: []time.Duration{50 * time.Millisecond}})
			defer client.Close()
			for i := range n {
				// 192.0.2.0/24 is TEST-NET-1; the dialer never leaves the process.
				st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: fmt.Sprintf("http://192.0.2.%d/feed/%d", i%10+1, i)})
			}
			srcs, _ := st.Sources(ctx)
			r := &Refresher{Fetcher: client, Store: st, Parser: NewParser(), Concurrency: 8}
			start := time.Now()
			results := r.Refresh(ctx, srcs, nil)
			took := time.Since(start)
			if took > 2*time.Second {
				t.Errorf("gave up after %v", took)
			}
			if !Offline(results) {
				t.Fatal("not seen as offline")
			}
			for _, res := range results {
				if !res.Offline || res.OK || res.Err == nil {
					t.Errorf("%s: %+v", res.Source.URL, res)
				}
			}
			after, _ := st.Sources(ctx)
			for _, s := range after {
				if s.Failures != 0 || !s.NextDue.IsZero() || s.LastVerdict != "" {
					t.Errorf("%s: a shutdown changed its state: failures %d, next due %v, verdict %q", s.URL, s.Failures, s.NextDue, s.LastVerdict)
				}
			}
		})
	}
}

// One host that answers among dead ones: the network works, and the dead
// ones' failures are theirs, recorded.
func TestRefreshNotOfflineWhenOneAnswers(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/feed", serveBytes(readFixture(t, "rss2-fa.xml")))
	live, _ := url.Parse(fs.URL)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == live.Host {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		return blackholeDial(ctx, network, addr)
	}
	ctx := context.Background()
	st, err := cache.Open(ctx, filepath.Join(t.TempDir(), cache.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client := transport.New(transport.Options{Dial: dial, GiveUp: 300 * time.Millisecond, Stagger: []time.Duration{50 * time.Millisecond}})
	defer client.Close()
	for i := range 4 {
		st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: fmt.Sprintf("http://192.0.2.%d/feed", i+1)})
	}
	st.AddSource(ctx, cache.Source{Kind: cache.KindFeed, URL: fs.URL + "/feed"})
	srcs, _ := st.Sources(ctx)
	results := (&Refresher{Fetcher: client, Store: st, Parser: NewParser()}).Refresh(ctx, srcs, nil)
	if Offline(results) {
		t.Fatal("seen as offline while a source answered")
	}
	after, _ := st.Sources(ctx)
	for _, s := range after {
		if s.URL != fs.URL+"/feed" && (s.Failures != 1 || s.LastVerdict == "") {
			t.Errorf("%s: failure not recorded: %+v", s.URL, s)
		}
	}
}

func TestProbe(t *testing.T) {
	fs := newFeedServer(t)
	fs.handle("/feed", http.NotFound) // an answer, if not a feed
	ctx := context.Background()
	dead := []cache.Source{{Kind: cache.KindFeed, URL: "http://192.0.2.1/feed"}, {Kind: cache.KindFeed, URL: "http://192.0.2.2/feed"}}
	client := transport.New(transport.Options{Dial: blackholeDial, GiveUp: 200 * time.Millisecond})
	defer client.Close()
	if (&Refresher{Fetcher: client}).Probe(ctx, dead) {
		t.Error("a network carrying nothing answered the probe")
	}
	// Only loopback is dialled for real: the dead address stays dead.
	live := transport.New(transport.Options{GiveUp: time.Second, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "127.0.0.1:") {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		return blackholeDial(ctx, network, addr)
	}})
	defer live.Close()
	if !(&Refresher{Fetcher: live}).Probe(ctx, append(dead[:1:1], cache.Source{Kind: cache.KindFeed, URL: fs.URL + "/feed"})) {
		t.Error("the probe did not notice the network is back")
	}
}
