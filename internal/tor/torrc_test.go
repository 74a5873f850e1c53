package tor

import (
	"errors"
	"strings"
	"testing"
)

func TestTorrc(t *testing.T) {
	obfs4, _ := Builtin("obfs4")
	snowflake, _ := Builtin("snowflake")
	web, _ := ParseBridge("webtunnel 10.0.0.1:443 2B280B23E1107BB62ABFC40DDCC8824814F80A72 url=https://example.org/x")
	all := Transports{Obfs4: "/usr/bin/obfs4proxy", Snowflake: "/usr/bin/snowflake-client", Webtunnel: "/usr/bin/webtunnel-client"}
	tests := []struct {
		name    string
		bridges []Bridge
		have    []string
		lack    []string
	}{
		{"none", nil, []string{"SocksPort 127.0.0.1:auto", "ControlPort 127.0.0.1:auto", "CookieAuthentication 1", "__OwningControllerProcess 4242"},
			[]string{"UseBridges", "ClientTransportPlugin"}},
		{"obfs4", obfs4, []string{"UseBridges 1", "ClientTransportPlugin obfs4,meek_lite exec /usr/bin/obfs4proxy\n", "Bridge " + obfs4[0].String()},
			[]string{"snowflake"}},
		{"snowflake", snowflake, []string{"UseBridges 1", "ClientTransportPlugin snowflake exec /usr/bin/snowflake-client -url https://snowflake-broker", "-front cdn.sstatic.net", "Bridge snowflake 192.0.2.3:1"},
			[]string{"obfs4proxy"}},
		{"webtunnel", []Bridge{web}, []string{"ClientTransportPlugin webtunnel exec /usr/bin/webtunnel-client\n", "Bridge webtunnel 10.0.0.1:443"}, nil},
	}
	for _, tt := range tests {
		text, err := Config{DataDir: "/home/سارا/My Data/tor", Bridges: tt.bridges, Transports: all, OwnerPID: 4242}.Torrc()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !strings.Contains(text, `DataDirectory "/home/سارا/My Data/tor"`) {
			t.Errorf("%s: the data directory is not quoted whole:\n%s", tt.name, text)
		}
		for _, want := range tt.have {
			if !strings.Contains(text, want) {
				t.Errorf("%s: torrc lacks %q:\n%s", tt.name, want, text)
			}
		}
		for _, no := range tt.lack {
			if strings.Contains(text, no) {
				t.Errorf("%s: torrc has %q:\n%s", tt.name, no, text)
			}
		}
	}
	// A transport not installed: refused, naming it and what to install.
	_, err := Config{DataDir: "/d", Bridges: snowflake, Transports: Transports{Obfs4: "/usr/bin/obfs4proxy"}}.Torrc()
	var be *BridgeError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "snowflake transport is not installed") || !strings.Contains(err.Error(), "apt install") {
		t.Errorf("snowflake not installed: %v", err)
	}
	if _, err := (Config{DataDir: "/d", Bridges: obfs4, Transports: Transports{Obfs4: "/opt/my tools/obfs4proxy"}}).Torrc(); err == nil {
		t.Error("a transport path with a space was written (tor would split it)")
	}
	if _, err := (Config{DataDir: "/d", Extra: []string{"Log info\nExitRelay 1"}}).Torrc(); err == nil {
		t.Error("an extra line with a line break was taken")
	}
}

func TestFindTransports(t *testing.T) {
	look := func(have ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, h := range have {
				if h == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	tr := FindTransports(look("obfs4proxy", "snowflake-client"))
	if tr.Obfs4 != "/usr/bin/obfs4proxy" || tr.Snowflake != "/usr/bin/snowflake-client" || tr.Webtunnel != "" {
		t.Errorf("%+v", tr)
	}
	if tr := FindTransports(look("lyrebird", "obfs4proxy")); tr.Obfs4 != "/usr/bin/lyrebird" {
		t.Errorf("lyrebird, obfs4proxy's successor, is preferred: %+v", tr)
	}
	if !tr.Has("") || !tr.Has("obfs4") || tr.Has("webtunnel") || tr.Has("vmess") {
		t.Errorf("Has: %+v", tr)
	}
	if _, err := FindTor(look()); !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), Install) {
		t.Errorf("tor missing: %v", err)
	}
}
