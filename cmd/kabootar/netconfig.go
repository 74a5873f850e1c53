package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// Settings that hold the transport's configuration, shared with the window.
const (
	settingMode    = "transport.mode"    // auto | direct | proxy
	settingProxies = "transport.proxies" // JSON list of proxy URLs, passwords included
	settingDoH     = "transport.doh"     // JSON list of resolvers, or "off"; unset: the defaults
	settingTrusted = "transport.trusted" // JSON list of CIDR ranges
)

// netSettings is the transport configuration as stored.
type netSettings struct {
	Mode    transport.Mode
	Proxies []transport.Proxy
	DoH     []transport.DoHServer
	DoHOff  bool
	Trusted []netip.Prefix
}

func loadNetSettings(ctx context.Context, st *cache.Store) (netSettings, error) {
	ns := netSettings{Mode: transport.ModeAuto}
	if v, ok, err := st.Setting(ctx, settingMode); err != nil {
		return ns, err
	} else if ok {
		if ns.Mode, err = transport.ParseMode(v); err != nil {
			return ns, fmt.Errorf("setting %s: %w", settingMode, err)
		}
	}
	var raw []string
	if err := jsonSetting(ctx, st, settingProxies, &raw); err != nil {
		return ns, err
	}
	for _, s := range raw {
		p, err := transport.ParseProxy(s)
		if err != nil {
			return ns, fmt.Errorf("setting %s: %w", settingProxies, err)
		}
		ns.Proxies = append(ns.Proxies, p)
	}
	if v, ok, err := st.Setting(ctx, settingDoH); err != nil {
		return ns, err
	} else if ok && v == "off" {
		ns.DoHOff = true
	} else if ok {
		raw = nil
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			return ns, fmt.Errorf("setting %s: %w", settingDoH, err)
		}
		for _, s := range raw {
			d, err := transport.ParseDoH(s)
			if err != nil {
				return ns, fmt.Errorf("setting %s: %w", settingDoH, err)
			}
			ns.DoH = append(ns.DoH, d)
		}
	}
	raw = nil
	if err := jsonSetting(ctx, st, settingTrusted, &raw); err != nil {
		return ns, err
	}
	for _, s := range raw {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return ns, fmt.Errorf("setting %s: %w", settingTrusted, err)
		}
		ns.Trusted = append(ns.Trusted, p)
	}
	return ns, nil
}

func jsonSetting(ctx context.Context, st *cache.Store, key string, v any) error {
	s, ok, err := st.Setting(ctx, key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

func (ns netSettings) doh() []transport.DoHServer {
	switch {
	case ns.DoHOff:
		return nil
	case len(ns.DoH) > 0:
		return ns.DoH
	}
	return transport.DefaultDoH
}

// config is the transport configuration for this run: the stored settings
// and the environment's proxies.
func (c *cli) config(ns netSettings) transport.Config {
	env, noProxy, errs := transport.ProxiesFromEnv(c.getenv)
	for _, err := range errs {
		c.log.Warn("ignoring a proxy from the environment", "err", err)
	}
	return transport.Config{
		Mode:        ns.Mode,
		Proxies:     ns.Proxies,
		DoH:         ns.doh(),
		EnvProxies:  env,
		NoProxy:     noProxy,
		TorAddrs:    transport.DefaultTorAddrs,
		TrustedNets: ns.Trusted,
	}
}

// routeMemory keeps the transport's route records in the cache.
type routeMemory struct{ st *cache.Store }

func (m routeMemory) LoadRoutes(ctx context.Context, host string) ([]transport.RouteRecord, error) {
	recs, err := m.st.Routes(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]transport.RouteRecord, len(recs))
	for i, r := range recs {
		out[i] = transport.RouteRecord{Host: r.Host, Route: r.Route, URL: r.URL, OK: r.OK,
			Verdict: transport.Verdict(r.Verdict), Elapsed: r.Elapsed, At: r.At}
	}
	return out, nil
}

func (m routeMemory) SaveRoute(ctx context.Context, r transport.RouteRecord) error {
	return m.st.RecordRoute(ctx, cache.RouteRecord{Host: r.Host, Route: r.Route, URL: r.URL, OK: r.OK,
		Verdict: string(r.Verdict), Elapsed: r.Elapsed, At: r.At})
}

// routeMemoryTTL is how long route records are kept.
const routeMemoryTTL = 7 * 24 * time.Hour
