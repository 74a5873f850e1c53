package transporttest

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Servers built to misbehave, one way each: what a hostile or broken
// server sends. Each stops when the client goes.

// GzipBomb sends mb megabytes of zeros gzip-compressed (about a
// thousandth of it on the wire).
func GzipBomb(mb int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		zeros := make([]byte, 1<<20)
		for range mb {
			if _, err := gz.Write(zeros); err != nil {
				return
			}
		}
		gz.Close()
	}
}

// Big sends mb megabytes of "x", with no length given.
func Big(mb int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<20))
		for range mb {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// Hang never answers.
func Hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// Stall sends prefix, then nothing more, without ending.
func Stall(prefix []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Write(prefix)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// CutOff promises declared bytes and closes after body.
func CutOff(declared int, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(declared))
		w.Write(body)
	}
}

// Redirects answers prefix+N with a redirect to prefix+(N+1) until hops,
// then final.
func Redirects(prefix string, hops int, final []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, prefix))
		if n >= hops {
			w.Write(final)
			return
		}
		http.Redirect(w, r, fmt.Sprint(prefix, n+1), http.StatusFound)
	}
}

// Trickle sends body a byte every interval.
func Trickle(contentType string, body []byte, every time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		for _, c := range body {
			if _, err := w.Write([]byte{c}); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(every):
			case <-r.Context().Done():
				return
			}
		}
	}
}

// RawStatus listens on loopback and answers every request with status
// code and reason as given, whatever they hold: what net/http will not
// send (a status line of thousands of bytes, terminal escapes). It gives
// its host:port; close the listener to stop it.
func RawStatus(code int, reason string) (net.Listener, error) {
	return ServeTCP("127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, reason)
	})
}
