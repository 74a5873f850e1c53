package transport

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"github.com/kabootar/kabootar/internal/transport/transporttest"
)

// The ECH tests' site: its name is reset wherever a hello shows it; its
// server (public name public.example.com) holds the ECH key.
const (
	echSite   = "blocked.example.com"
	echPublic = "public.example.com"
)

func TestECH(t *testing.T) {
	key, list, err := transporttest.ECHKey(echPublic, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, stale, _ := transporttest.ECHKey(echPublic, 2) // a key the server no longer has
	_, elsewhere, _ := transporttest.ECHKey("elsewhere.test", 3)
	garbage := append([]byte{0, 40}, bytes.Repeat([]byte{0xfe}, 40)...)
	huge := append([]byte{0x24, 0x02}, bytes.Repeat([]byte{0}, 9218)...)
	tests := []struct {
		name     string
		ech      []byte // published; nil: no HTTPS record
		hint     string // the record's address hint ("" for 127.0.0.1)
		want     string // the winning route, or "" for none
		verdicts []Verdict
	}{
		{"the published key", list, "", RouteECH, nil},
		{"a record whose hint lies (a private address): the name's address used", list, "10.10.34.34", RouteECH, nil},
		{"a stale key, the server's retry key used once", stale, "", RouteECH, nil},
		{"no HTTPS record", nil, "", "", []Verdict{VerdictECHUnavailable}},
		{"a garbage config list", garbage, "", "", []Verdict{VerdictECHInvalid}},
		{"a huge config list", huge, "", "", []Verdict{VerdictECHInvalid}},
		{"a key for another public name", elsewhere, "", "", []Verdict{VerdictTLSCertInvalid, VerdictECHRejected}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLabTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.TLS == nil || !r.TLS.ECHAccepted {
					http.Error(w, "not over ECH", http.StatusForbidden)
					return
				}
				w.Write([]byte("news"))
			}), &tls.Config{EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{key}})
			l.censor = perPacket(echSite)
			l.dns[echSite] = "127.0.0.1"
			records := map[string]transporttest.HTTPS{}
			if tt.hint != "" {
				l.breakAddr(tt.hint+":"+l.port, "reset") // never dialed for real
				defer func() {
					if n := l.dialed(tt.hint + ":" + l.port); n != 0 {
						t.Errorf("the lying hint %s was dialed %d times", tt.hint, n)
					}
				}()
			}
			if tt.ech != nil {
				hint := cmp.Or(tt.hint, "127.0.0.1")
				records[echSite] = transporttest.HTTPS{ECH: tt.ech, Hints: []netip.Addr{netip.MustParseAddr(hint)}}
			}
			doh := l.dohServerRecords(map[string]string{echSite: "127.0.0.1"}, records)
			c := New(l.options(Config{Mode: ModeAuto, ECH: true, DoH: []DoHServer{doh}}))
			defer c.Close()
			resp, err := c.Fetch(context.Background(), &Request{URL: "https://" + echSite + ":" + l.port + "/feed"})
			if tt.want != "" {
				if err != nil {
					t.Fatal(err)
				}
				if resp.Route != tt.want || string(resp.Body) != "news" {
					t.Fatalf("route %s gave %q, want %s with the news", resp.Route, resp.Body, tt.want)
				}
				return
			}
			var fe *Error
			if resp != nil || !errors.As(err, &fe) {
				t.Fatalf("got %+v, %v; want an error", resp, err)
			}
			var got Verdict
			for _, a := range fe.Attempts {
				if a.Route == RouteECH {
					got = a.Verdict
				}
			}
			if !slices.Contains(tt.verdicts, got) {
				t.Errorf("ech's verdict %q, want one of %v (attempts %+v)", got, tt.verdicts, fe.Attempts)
			}
		})
	}
}

func TestECHPublicName(t *testing.T) {
	_, list, err := transporttest.ECHKey(echPublic, 1)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := echPublicName(list); err != nil || n != echPublic {
		t.Fatalf("%q, %v", n, err)
	}
	// Every cut of a good list, and junk: an error, never a panic.
	for i := range len(list) {
		if _, err := echPublicName(list[:i]); err == nil {
			t.Errorf("a list cut at %d accepted", i)
		}
	}
	for _, junk := range [][]byte{nil, {0}, {0, 0}, {0, 4, 0xfe, 0x0d, 0, 0}, {0xff, 0xff, 1}} {
		if _, err := echPublicName(junk); err == nil {
			t.Errorf("%x accepted", junk)
		}
	}
}
