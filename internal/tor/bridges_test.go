package tor

import (
	"errors"
	"strings"
	"testing"
)

const obfs4Line = "obfs4 192.95.36.142:443 CDF2E852BF539B82BD10E27E9115A31734E378C2 cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=1"

func TestParseBridge(t *testing.T) {
	tests := []struct {
		line, transport, addr, why string
	}{
		{obfs4Line, "obfs4", "192.95.36.142:443", ""},
		{"Bridge " + obfs4Line, "obfs4", "192.95.36.142:443", ""},
		{"snowflake 192.0.2.3:1 2B280B23E1107BB62ABFC40DDCC8824814F80A72", "snowflake", "192.0.2.3:1", ""},
		{"webtunnel [2001:db8::1]:443 2B280B23E1107BB62ABFC40DDCC8824814F80A72 url=https://example.org/path ver=0.0.1", "webtunnel", "[2001:db8::1]:443", ""},
		{"10.0.0.1:9001 2B280B23E1107BB62ABFC40DDCC8824814F80A72", "", "10.0.0.1:9001", ""},
		{"", "", "", "empty"},
		{"Bridge", "", "", "empty"},
		{"vmess 1.2.3.4:443", "", "", "neither an address"},
		{"obfs4", "", "", "no address"},
		{"obfs4 bridge.example:443 cert=x", "", "", "not an address"},
		{"obfs4 1.2.3.4:99999 cert=x", "", "", "no valid port"},
		{"obfs4 1.2.3.4:443 XYZ cert=x", "", "", "not a relay fingerprint"},
		{"obfs4 1.2.3.4:443 2B280B23E1107BB62ABFC40DDCC8824814F80A72 iat-mode=0", "", "", "needs its cert"},
		{"webtunnel 1.2.3.4:443 2B280B23E1107BB62ABFC40DDCC8824814F80A72", "", "", "needs its url"},
		{"obfs4 1.2.3.4:443 cert=abc \"quoted\"", "", "", "not a key=value"},
		{"obfs4 1.2.3.4:443 cert=abc\nUseBridges 0", "", "", "not a key=value"},
	}
	for _, tt := range tests {
		b, err := ParseBridge(tt.line)
		if tt.why != "" {
			var be *BridgeError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.why) {
				t.Errorf("ParseBridge(%q) = %v, want an error saying %q", tt.line, err, tt.why)
			}
			continue
		}
		if err != nil || b.Transport != tt.transport || b.Addr != tt.addr {
			t.Errorf("ParseBridge(%q) = %+v, %v", tt.line, b, err)
		}
		if again, err := ParseBridge(b.String()); err != nil || again.String() != b.String() {
			t.Errorf("%q does not read back: %v", b.String(), err)
		}
	}
}

// Pasted lines: blank lines and comments skipped; a bad line is refused,
// named by its number.
func TestParseBridges(t *testing.T) {
	got, err := ParseBridges("# from bridges.torproject.org\n\n" + obfs4Line + "\r\n  Bridge " + obfs4Line + "  \n")
	if err != nil || len(got) != 2 {
		t.Fatalf("%d bridges, %v", len(got), err)
	}
	_, err = ParseBridges(obfs4Line + "\nobfs4 1.2.3.4\n")
	var be *BridgeError
	if !errors.As(err, &be) || be.Line != 2 || !strings.Contains(err.Error(), "bridge line 2") {
		t.Errorf("a bad second line: %v", err)
	}
}

// Every built-in bridge parses (Builtin skips one that would not).
func TestBuiltinBridgesParse(t *testing.T) {
	for transport, lines := range builtin {
		got, ok := Builtin(transport)
		if !ok || len(got) != len(lines) {
			t.Errorf("%s: %d of %d built-in bridges parse", transport, len(got), len(lines))
		}
		for _, b := range got {
			if b.Transport != transport {
				t.Errorf("%s: a %s bridge among them", transport, b.Transport)
			}
		}
	}
	if _, ok := Builtin("vmess"); ok {
		t.Error("built-in bridges of a transport Kabootar does not know")
	}
}
