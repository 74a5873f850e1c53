// Package tor runs a Tor of Kabootar's own (Debian's tor program, with the
// pluggable transports that are installed) for readers who have nothing
// else: its torrc, its bridges, the control-port conversation and the
// process's life. No Tor code is here; tor does the work.
package tor

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Bridge is one bridge line: a transport (or none: a plain bridge relay),
// an address, the relay's fingerprint and the transport's arguments.
type Bridge struct {
	Transport   string // obfs4, snowflake, webtunnel, or "" (a plain bridge)
	Addr        string
	Fingerprint string
	Args        []string // key=value
}

// String is the bridge as torrc's Bridge line takes it.
func (b Bridge) String() string {
	parts := []string{}
	if b.Transport != "" {
		parts = append(parts, b.Transport)
	}
	parts = append(parts, b.Addr)
	if b.Fingerprint != "" {
		parts = append(parts, b.Fingerprint)
	}
	return strings.Join(append(parts, b.Args...), " ")
}

// Transports Kabootar knows how to run, by the name in a bridge line.
var knownTransports = map[string]bool{"obfs4": true, "snowflake": true, "webtunnel": true, "meek_lite": true}

// BridgeError is a bridge line that cannot be used; it names the line.
type BridgeError struct {
	Line int // 1-based, in what was pasted; 0 for a single line
	Text string
	Why  string
}

func (e *BridgeError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("bridge line %d (%q): %s", e.Line, clip(e.Text, 80), e.Why)
	}
	return fmt.Sprintf("bridge %q: %s", clip(e.Text, 80), e.Why)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ParseBridge reads one bridge line, with or without its leading "Bridge"
// (as Tor Browser and bridges.torproject.org give them).
func ParseBridge(line string) (Bridge, error) {
	bad := func(why string) (Bridge, error) {
		return Bridge{}, &BridgeError{Text: strings.TrimSpace(line), Why: why}
	}
	f := strings.Fields(line)
	if len(f) > 0 && strings.EqualFold(f[0], "bridge") {
		f = f[1:]
	}
	if len(f) == 0 {
		return bad("it is empty")
	}
	if len(line) > 2000 {
		return bad("it is too long to be a bridge line")
	}
	var b Bridge
	if _, _, err := net.SplitHostPort(f[0]); err != nil {
		if !knownTransports[f[0]] {
			return bad(fmt.Sprintf("%q is neither an address (IP:PORT) nor a transport Kabootar knows (obfs4, snowflake, webtunnel)", f[0]))
		}
		b.Transport, f = f[0], f[1:]
	}
	if len(f) == 0 {
		return bad("it has no address (IP:PORT)")
	}
	host, port, err := net.SplitHostPort(f[0])
	if err != nil || net.ParseIP(host) == nil {
		return bad(fmt.Sprintf("%q is not an address (IP:PORT)", f[0]))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return bad(fmt.Sprintf("%q has no valid port", f[0]))
	}
	b.Addr, f = f[0], f[1:]
	if len(f) > 0 && !strings.Contains(f[0], "=") {
		if fp, err := hex.DecodeString(f[0]); err != nil || len(fp) != 20 {
			return bad(fmt.Sprintf("%q is not a relay fingerprint (40 hexadecimal digits)", f[0]))
		}
		b.Fingerprint, f = strings.ToUpper(f[0]), f[1:]
	}
	for _, arg := range f {
		k, v, ok := strings.Cut(arg, "=")
		if !ok || k == "" || v == "" || strings.ContainsAny(arg, "\"\\") {
			return bad(fmt.Sprintf("%q is not a key=value argument", arg))
		}
		b.Args = append(b.Args, arg)
	}
	switch b.Transport {
	case "obfs4":
		if !b.hasArg("cert") {
			return bad("an obfs4 bridge needs its cert=… (copy the whole line)")
		}
	case "webtunnel":
		if !b.hasArg("url") {
			return bad("a webtunnel bridge needs its url=… (copy the whole line)")
		}
	}
	return b, nil
}

func (b Bridge) hasArg(key string) bool {
	for _, a := range b.Args {
		if strings.HasPrefix(a, key+"=") {
			return true
		}
	}
	return false
}

// ParseBridges reads pasted bridge lines, one a line (blank lines and #
// comments skipped); the first bad one is refused, naming it.
func ParseBridges(text string) ([]Bridge, error) {
	var out []Bridge
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := ParseBridge(line)
		if err != nil {
			be := err.(*BridgeError)
			be.Line = n
			return nil, be
		}
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, &BridgeError{Line: n + 1, Why: "the line is too long"}
	}
	return out, nil
}

// Built-in bridges, as Tor Browser ships them: copied from OnionShare 2.6
// (Debian 12's onionshare-cli 2.6-5~deb12u1, its torrc_template-obfs4 and
// torrc_template-snowflake, themselves Tor Browser's built-in lines of
// 2022–2023), taken 2026-12-01. Built-in bridges go stale as they are
// blocked or retired: readers can paste fresh ones from
// bridges.torproject.org (or its Telegram bot, @GetBridgesBot).
var builtin = map[string][]string{
	"obfs4": {
		"obfs4 146.57.248.225:22 10A6CD36A537FCE513A322361547444B393989F0 cert=K1gDtDAIcUfeLqbstggjIw2rtgIKqdIhUlHp82XRqNSq/mtAjp1BIC9vHKJ2FAEpGssTPw iat-mode=0",
		"obfs4 192.95.36.142:443 CDF2E852BF539B82BD10E27E9115A31734E378C2 cert=qUVQ0srL1JI/vO6V6m/24anYXiJD3QP2HgzUKQtQ7GRqqUvs7P+tG43RtAqdhLOALP7DJQ iat-mode=1",
		"obfs4 193.11.166.194:27015 2D82C2E354D531A68469ADF7F878FA6060C6BACA cert=4TLQPJrTSaDffMK7Nbao6LC7G9OW/NHkUwIdjLSS3KYf0Nv4/nQiiI8dY2TcsQx01NniOg iat-mode=0",
		"obfs4 193.11.166.194:27020 86AC7B8D430DAC4117E9F42C9EAED18133863AAF cert=0LDeJH4JzMDtkJJrFphJCiPqKx7loozKN7VNfuukMGfHO0Z8OGdzHVkhVAOfo1mUdv9cMg iat-mode=0",
		"obfs4 193.11.166.194:27025 1AE2C08904527FEA90C4C4F8C1083EA59FBC6FAF cert=ItvYZzW5tn6v3G4UnQa6Qz04Npro6e81AP70YujmK/KXwDFPTs3aHXcHp4n8Vt6w/bv8cA iat-mode=0",
		"obfs4 209.148.46.65:443 74FAD13168806246602538555B5521A0383A1875 cert=ssH+9rP8dG2NLDN2XuFw63hIO/9MNNinLmxQDpVa+7kTOa9/m+tGWT1SmSYpQ9uTBGa6Hw iat-mode=0",
		"obfs4 37.218.245.14:38224 D9A82D2F9C2F65A18407B1D2B764F130847F8B5D cert=bjRaMrr1BRiAW8IE9U5z27fQaYgOhX1UCmOpg2pFpoMvo6ZgQMzLsaTzzQNTlm7hNcb+Sg iat-mode=0",
		"obfs4 38.229.1.78:80 C8CBDB2464FC9804A69531437BCF2BE31FDD2EE4 cert=Hmyfd2ev46gGY7NoVxA9ngrPF2zCZtzskRTzoWXbxNkzeVnGFPWmrTtILRyqCTjHR+s9dg iat-mode=1",
		"obfs4 38.229.33.83:80 0BAC39417268B96B9F514E7F63FA6FBA1A788955 cert=VwEFpk9F/UN9JED7XpG1XOjm/O8ZCXK80oPecgWnNDZDv5pdkhq1OpbAH0wNqOT6H6BmRQ iat-mode=1",
		"obfs4 45.145.95.6:27015 C5B7CD6946FF10C5B3E89691A7D3F2C122D2117C cert=TD7PbUO0/0k6xYHMPW3vJxICfkMZNdkRrb63Zhl5j9dW3iRGiCx0A7mPhe5T2EDzQ35+Zw iat-mode=0",
		"obfs4 51.222.13.177:80 5EDAC3B810E12B01F6FD8050D2FD3E277B289A08 cert=2uplIpLQ0q9+0qMFrK5pkaYRDOe460LL9WHBvatgkuRr/SL31wBOEupaMMJ6koRE6Ld0ew iat-mode=0",
		"obfs4 85.31.186.26:443 91A6354697E6B02A386312F68D82CF86824D3606 cert=PBwr+S8JTVZo6MPdHnkTwXJPILWADLqfMGoVvhZClMq/Urndyd42BwX9YFJHZnBB3H0XCw iat-mode=0",
		"obfs4 85.31.186.98:443 011F2599C0E9B27EE74B353155E244813763C3E5 cert=ayq0XzCwhpdysn5o0EyDUbmSOx3X/oTEbzDMvczHOdBJKlvIdHHLJGkZARtT4dcBFArPPg iat-mode=0",
	},
	// Snowflake's one "bridge" is a placeholder address; the transport
	// reaches the broker (domain-fronted) and volunteer proxies itself,
	// as its ClientTransportPlugin line says (snowflakeArgs).
	"snowflake": {
		"snowflake 192.0.2.3:1 2B280B23E1107BB62ABFC40DDCC8824814F80A72",
	},
}

// snowflakeArgs are the snowflake client's broker, front and STUN servers,
// from the same OnionShare template.
var snowflakeArgs = []string{
	"-url", "https://snowflake-broker.torproject.net.global.prod.fastly.net/",
	"-front", "cdn.sstatic.net",
	"-ice", "stun:stun.l.google.com:19302,stun:stun.voip.blackberry.com:3478,stun:stun.altar.com.pl:3478,stun:stun.antisip.com:3478," +
		"stun:stun.bluesip.net:3478,stun:stun.dus.net:3478,stun:stun.epygi.com:3478,stun:stun.sonetel.com:3478,stun:stun.sonetel.net:3478," +
		"stun:stun.stunprotocol.org:3478,stun:stun.uls.co.za:3478,stun:stun.voipgate.com:3478,stun:stun.voys.nl:3478",
}

// Builtin is the built-in bridges of a transport (obfs4 or snowflake).
func Builtin(transport string) ([]Bridge, bool) {
	lines, ok := builtin[transport]
	if !ok {
		return nil, false
	}
	out := make([]Bridge, 0, len(lines))
	for _, l := range lines {
		if b, err := ParseBridge(l); err == nil { // all do: TestBuiltinBridgesParse
			out = append(out, b)
		}
	}
	return out, true
}
