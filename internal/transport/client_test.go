package transport

import (
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testClient() *Client {
	return New(Options{
		ConnectTimeout: 2 * time.Second,
		HeaderTimeout:  time.Second,
		RequestTimeout: 2 * time.Second,
		MaxBytes:       1 << 20,
	})
}

// It is long because it is one table of cases.
func TestFetch(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte("<rss>hello</rss>"))
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write([]byte("compressed body"))
		gz.Close()
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/legal", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnavailableForLegalReasons)
	})
	mux.HandleFunc("/blockpage", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><head><title>MNN3-1(1)</title></head><body><iframe src="http://10.10.34.34?type=Invalid Site"></iframe></body></html>`))
	})
	// Iran's filter: 403, no Date, the connection closed, the iframe.
	mux.HandleFunc("/blockpage-403", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Header()["Date"] = nil
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1256"><title>MNN3-1(1)</title></head><body><iframe src="http://10.10.34.34?type=Invalid Site&policy=MainPolicy"></iframe></body></html>`))
	})
	mux.HandleFunc("/iframe-403", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<html><body><iframe src="http://10.10.34.35/"></iframe></body></html>`))
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden in your country", http.StatusForbidden)
	})
	mux.HandleFunc("/to-peyvandha", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://peyvandha.ir/", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < 1<<17; i++ { // up to 8 GB, if anyone kept reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<rss>"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := testClient()
	defer c.Close()

	refused := closedPort(t)

	tests := []struct {
		name        string
		req         Request
		wantVerdict Verdict
		wantBody    string
		wantURL     string
		notModified bool
	}{
		{name: "ok", req: Request{URL: srv.URL + "/ok"}, wantBody: "<rss>hello</rss>", wantURL: srv.URL + "/ok"},
		{name: "conditional", req: Request{URL: srv.URL + "/ok", ETag: `"v1"`}, notModified: true, wantURL: srv.URL + "/ok"},
		{name: "gzip", req: Request{URL: srv.URL + "/gzip"}, wantBody: "compressed body"},
		{name: "404", req: Request{URL: srv.URL + "/missing"}, wantVerdict: VerdictHTTPStatus},
		{name: "451", req: Request{URL: srv.URL + "/legal"}, wantVerdict: VerdictHTTPBlockpage},
		{name: "block page body", req: Request{URL: srv.URL + "/blockpage"}, wantVerdict: VerdictHTTPBlockpage},
		{name: "block page with 403", req: Request{URL: srv.URL + "/blockpage-403"}, wantVerdict: VerdictHTTPBlockpage},
		{name: "iframe with 403", req: Request{URL: srv.URL + "/iframe-403"}, wantVerdict: VerdictHTTPBlockpage},
		{name: "a plain 403", req: Request{URL: srv.URL + "/forbidden"}, wantVerdict: VerdictHTTPStatus},
		{name: "redirect to block host", req: Request{URL: srv.URL + "/to-peyvandha"}, wantVerdict: VerdictHTTPBlockpage},
		{name: "redirect loop", req: Request{URL: srv.URL + "/loop"}, wantVerdict: VerdictHTTPRedirectLoop},
		{name: "endless body", req: Request{URL: srv.URL + "/huge"}, wantVerdict: VerdictBodyTooLarge},
		{name: "server hangs", req: Request{URL: srv.URL + "/hang"}, wantVerdict: VerdictHTTPTimeout},
		{name: "body stalls", req: Request{URL: srv.URL + "/slow-body"}, wantVerdict: VerdictHTTPTimeout},
		{name: "refused", req: Request{URL: "http://" + refused + "/"}, wantVerdict: VerdictTCPRefused},
		{name: "not http", req: Request{URL: "ftp://example.invalid/feed"}, wantVerdict: VerdictURLInvalid},
		{name: "typo", req: Request{URL: "htp//news"}, wantVerdict: VerdictURLInvalid},
		{name: "check refuses", req: Request{URL: srv.URL + "/ok", Check: func(*Response) error { return errors.New("not a feed") }}, wantVerdict: VerdictBodyInvalid},
		{name: "mirror after failure", req: Request{URL: srv.URL + "/missing", Alternatives: []string{srv.URL + "/ok"}}, wantBody: "<rss>hello</rss>", wantURL: srv.URL + "/ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp, err := c.Fetch(context.Background(), &tt.req)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; the timeouts should have stopped it", d)
			}
			if tt.wantVerdict != "" {
				if err == nil {
					t.Fatalf("got %d %q, want verdict %s", resp.Status, resp.Body, tt.wantVerdict)
				}
				if got := VerdictOf(err); got != tt.wantVerdict {
					t.Fatalf("verdict %q, want %q (err: %v)", got, tt.wantVerdict, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.NotModified != tt.notModified {
				t.Errorf("NotModified = %v", resp.NotModified)
			}
			if string(resp.Body) != tt.wantBody {
				t.Errorf("body %q, want %q", resp.Body, tt.wantBody)
			}
			if tt.wantURL != "" && resp.URL != tt.wantURL {
				t.Errorf("URL %q, want %q", resp.URL, tt.wantURL)
			}
			if resp.Route != RouteDirect {
				t.Errorf("route %q", resp.Route)
			}
		})
	}
}

func TestFetchKeepsValidatorsOn304(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	}))
	defer srv.Close()
	resp, err := testClient().Fetch(context.Background(), &Request{URL: srv.URL, ETag: `"a"`, LastModified: "yesterday"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.ETag != `"a"` || resp.LastModified != "yesterday" || !resp.NotModified {
		t.Errorf("got %+v", resp)
	}
}

func TestFetchStopsWhenCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := New(Options{}).Fetch(ctx, &Request{URL: srv.URL, Alternatives: []string{srv.URL + "/a", srv.URL + "/b"}})
	var te *Error
	if !errors.As(err, &te) || len(te.Attempts) != 1 {
		t.Fatalf("want one attempt before giving up, got %v", err)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// A request that names its route tries it alone first; when it fails, or
// names no route the client has, the request races as usual.
func TestFetchNamedRoute(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("img"))
	}))
	defer srv.Close()
	c := testClient()
	defer c.Close()
	tests := []struct {
		name, route, path string
		attempts          int
		ok                bool
	}{
		{"the route named", RouteDirect, "/a.png", 1, true},
		{"a route the client lacks", "socks5://127.0.0.1:1", "/a.png", 1, true},
		{"the named route fails, then the race", RouteDirect, "/missing", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Fetch(context.Background(), &Request{URL: srv.URL + tt.path, Route: tt.route})
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			var n int
			if err == nil {
				n = len(resp.Attempts)
			} else {
				var te *Error
				if asError(err, &te) {
					n = len(te.Attempts)
				}
			}
			if n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
		})
	}
}
