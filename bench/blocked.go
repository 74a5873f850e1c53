package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// The blocked-route benchmark: time to the first article of one feed when
// the direct route is blackholed and a SOCKS5 proxy reaches the site, the
// first time and once the route is remembered, against the same feed
// unblocked. It needs no root: the feed's address is a loopback port that
// takes connections and never answers, and the proxy here reaches the site
// behind it. The censorship lab does the
// same with a real censor in network namespaces.

type blockedRow struct {
	name   string
	median time.Duration
	runs   []time.Duration
	route  string
	err    error
}

const blockedRuns = 9

func benchBlocked(bin, work, baseURL string) []blockedRow {
	origin := baseURL[len("http://"):]
	hole, holeAddr, err := blackhole()
	if err != nil {
		return []blockedRow{{name: "blocked", err: err}}
	}
	defer hole.Close()
	socks := &transporttest.SOCKS5{Remap: func(target string) string {
		if target == holeAddr {
			return origin // the proxy gets through where the direct path is blackholed
		}
		return target
	}}
	err = socks.Start("127.0.0.1:0")
	if err != nil {
		return []blockedRow{{name: "blocked", err: err}}
	}
	defer socks.Close()

	run := func(name, data, feedURL string, setup [][]string, fresh bool) blockedRow {
		row := blockedRow{name: name}
		for i := range blockedRuns {
			if fresh || i == 0 {
				os.RemoveAll(data)
				os.MkdirAll(data, 0o700)
				// Added through OPML, which fetches nothing: the first refresh
				// is the first contact, with nothing remembered.
				opml := filepath.Join(work, "one.opml")
				os.WriteFile(opml, []byte(`<opml version="2.0"><body><outline text="f" xmlUrl="`+feedURL+`"/></body></opml>`), 0o600)
				for _, args := range append([][]string{{"transport", "set", "--doh", "off", "--tor", "off"}, {"opml", "import", opml}}, setup...) {
					if out, err := exec.Command(bin, append([]string{"--data", data}, args...)...).CombinedOutput(); err != nil {
						row.err = fmt.Errorf("%v: %v: %s", args, err, out)
						return row
					}
				}
				if !fresh {
					// One refresh first, not timed: it teaches the route.
					exec.Command(bin, "--data", data, "refresh").Run()
				}
			}
			start := time.Now()
			out, err := exec.Command(bin, "--data", data, "refresh", "--json").Output()
			d := time.Since(start)
			if err != nil {
				row.err = fmt.Errorf("refresh: %v: %s", err, out)
				return row
			}
			row.runs = append(row.runs, d)
			row.route = routeOf(out)
		}
		sorted := slices.Clone(row.runs)
		slices.Sort(sorted)
		row.median = sorted[len(sorted)/2]
		return row
	}
	proxy := [][]string{{"transport", "set", "--proxy", "socks5://" + socks.Addr()}}
	return []blockedRow{
		run("unblocked (direct)", filepath.Join(work, "unblocked"), baseURL+"/fresh/feed/1", nil, true),
		run("blocked, first time", filepath.Join(work, "blocked-first"), "http://"+holeAddr+"/fresh/feed/1", proxy, true),
		run("blocked, remembered", filepath.Join(work, "blocked-remembered"), "http://"+holeAddr+"/fresh/feed/1", proxy, false),
	}
}

func routeOf(refreshJSON []byte) string {
	var r struct{ Sources []struct{ Route string } }
	if jsonUnmarshal(refreshJSON, &r) == nil && len(r.Sources) == 1 {
		return r.Sources[0].Route
	}
	return "?"
}

// blackhole listens on a loopback port and never accepts: the kernel
// completes the handshakes into the backlog, and nothing ever answers.
func blackhole() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, "", err
	}
	return ln, ln.Addr().String(), nil
}
