package transport

import (
	"strings"
	"testing"
)

func TestParseWinINET(t *testing.T) {
	tests := []struct {
		name                    string
		enable                  uint64
		server, override, pac   string
		proxies, noProxy, wantP string
		errs                    int
	}{
		{name: "off", enable: 0, server: "127.0.0.1:10809", pac: "http://127.0.0.1:7777/pac", wantP: "http://127.0.0.1:7777/pac"},
		{name: "one proxy for all (v2rayN, Clash)", enable: 1, server: "127.0.0.1:10809", override: "localhost;127.*;10.*;192.168.*;<local>",
			proxies: "http://127.0.0.1:10809", noProxy: "localhost,127.0.0.0/8,10.0.0.0/8,192.168.0.0/16,<local>"},
		{name: "per protocol, SOCKS first", enable: 1, server: "http=127.0.0.1:8080;https=127.0.0.1:8080;socks=127.0.0.1:10808",
			proxies: "socks5://127.0.0.1:10808,http://127.0.0.1:8080"},
		{name: "socks only", enable: 1, server: "socks=127.0.0.1:10808", proxies: "socks5://127.0.0.1:10808"},
		{name: "a scheme written in", enable: 1, server: "http://127.0.0.1:8118", proxies: "http://127.0.0.1:8118"},
		{name: "garbage kept out", enable: 1, server: "http=nonsense;socks=127.0.0.1:1080;ftp=127.0.0.1:21", proxies: "socks5://127.0.0.1:1080", errs: 1},
		{name: "enabled, empty", enable: 1, server: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, errs := ParseWinINET(tt.enable, tt.server, tt.override, tt.pac)
			var got []string
			for _, p := range sp.Proxies {
				got = append(got, p.String())
			}
			if strings.Join(got, ",") != tt.proxies || sp.NoProxy != tt.noProxy || sp.PAC != tt.wantP || len(errs) != tt.errs {
				t.Errorf("proxies %v, no proxy %q, PAC %q, errors %v", got, sp.NoProxy, sp.PAC, errs)
			}
		})
	}
	// WinINET's <local> is a name without a dot.
	if !noProxyMatch("<local>", "intranet") || noProxyMatch("<local>", "news.example") {
		t.Error("<local> matched wrong")
	}
}
