package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kabootar/kabootar/internal/app"

	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

func (c *cli) transport(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("transport needs set or show")
	}
	switch args[0] {
	case "set":
		return c.transportSet(ctx, args[1:])
	case "show":
		return c.transportShow(ctx, args[1:])
	case "find":
		return c.transportFind(ctx, args[1:])
	}
	return usagef("unknown transport command %q", args[0])
}

func (c *cli) transportSet(ctx context.Context, args []string) error {
	fs := c.flags("transport set")
	mode := fs.String("mode", "", "auto, direct or proxy (strict: only the proxies)")
	var proxies, dohs, trusted, fronts stringList
	fs.Var(&proxies, "proxy", "a proxy, socks5://[user:pass@]host:port or http://host:port; off to remove all")
	fs.Var(&dohs, "doh", "a DNS-over-HTTPS resolver URL[@IP]; off for none; default for the built-in ones")
	fs.Var(&trusted, "trust", "a private range whose addresses are real DNS answers (a company network); off to clear")
	ech := fs.String("ech", "", "on or off: Encrypted Client Hello, with the key a site publishes in its DNS (read over DNS-over-HTTPS), tried when direct fails")
	tactics := fs.String("tactics", "", "on or off: split and tlsfrag, direct connections a server-name filter misses, tried when direct fails")
	fs.Var(&fronts, "front", "domain fronting for a site, HOST=FRONT[@ADDRESS]: connect to ADDRESS (or FRONT's), show the censor FRONT, ask for HOST; may be given many times; off to remove all")
	torMode := fs.String("tor", "", "Kabootar's own Tor: auto (when everything else failed), always, or off")
	var bridges stringList
	fs.Var(&bridges, "bridge", "Tor's bridges: snowflake, obfs4 (the built-in ones), a bridge line, or none (plain Tor); may be given many times")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("transport set", rest, 0, "only options"); err != nil {
		return err
	}
	if *mode == "" && len(proxies) == 0 && len(dohs) == 0 && len(trusted) == 0 && *torMode == "" && len(bridges) == 0 && *tactics == "" && len(fronts) == 0 && *ech == "" {
		return usagef("transport set needs --mode, --proxy, --doh, --tactics, --ech, --front, --trust, --tor or --bridge")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	// A bad stored key is left at its default: set is how it is fixed.
	n, err := app.LoadNetwork(ctx, a.Store())
	if err != nil && !errors.Is(err, app.ErrSettings) {
		return err
	}
	if *mode != "" {
		if n.Mode, err = transport.ParseMode(*mode); err != nil {
			return usagef("--mode: %w", err)
		}
	}
	if len(proxies) > 0 {
		n.Proxies = nil
		for _, p := range proxies {
			if p == "off" || p == "none" {
				continue
			}
			px, err := transport.ParseProxy(p)
			if err != nil {
				return usagef("--proxy: %w", err)
			}
			n.Proxies = append(n.Proxies, px)
		}
	}
	if len(dohs) > 0 {
		n.DoH, n.DoHOff = nil, false
		switch {
		case len(dohs) == 1 && dohs[0] == "off":
			n.DoHOff = true
		case len(dohs) == 1 && dohs[0] == "default":
		default:
			for _, d := range dohs {
				s, err := transport.ParseDoH(d)
				if err != nil {
					return usagef("--doh: %w", err)
				}
				n.DoH = append(n.DoH, s)
			}
		}
	}
	for name, v := range map[string]struct {
		val *string
		off *bool
	}{"tactics": {tactics, &n.TacticsOff}, "ech": {ech, &n.ECHOff}} {
		if *v.val != "" {
			on, err := app.ParseOnOff(*v.val)
			if err != nil {
				return usagef("--%s: %w", name, err)
			}
			*v.off = !on
		}
	}
	if len(fronts) > 0 {
		n.Fronts = nil
		for _, f := range fronts {
			if f == "off" {
				continue
			}
			fr, err := transport.ParseFront(f)
			if err != nil {
				return usagef("--front: %w", err)
			}
			n.Fronts = append(n.Fronts, fr)
		}
	}
	if len(trusted) > 0 {
		n.Trusted = nil
		for _, t := range trusted {
			if t == "off" {
				continue
			}
			p, err := netip.ParsePrefix(t)
			if err != nil {
				return usagef("--trust: %q is not a range such as 10.66.0.0/16", t)
			}
			n.Trusted = append(n.Trusted, p.Masked())
		}
	}
	if *torMode != "" {
		if n.Tor, err = app.ParseTorMode(*torMode); err != nil {
			return usagef("%w", err)
		}
	}
	if len(bridges) > 0 {
		n.TorBridges = []string(bridges)
		if err := app.CheckTorBridges(n.TorBridges); err != nil {
			return usagef("--bridge: %w", err)
		}
	}
	if err := n.Validate(); err != nil {
		return usagef("%w", err)
	}
	if err := n.Save(ctx, a.Store()); err != nil {
		return err
	}
	return c.printTransport(ctx, a, false)
}

func (c *cli) transportShow(ctx context.Context, args []string) error {
	fs := c.flags("transport show")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("transport show", rest, 0, "no arguments"); err != nil {
		return err
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	return c.printTransport(ctx, a, *asJSON)
}

// transportFind lists the proxies the first run offers: the system's
// proxy settings, the ports circumvention tools use, the environment.
func (c *cli) transportFind(ctx context.Context, args []string) error {
	fs := c.flags("transport find")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("transport find", rest, 0, "no arguments"); err != nil {
		return err
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	found := a.FindProxies(ctx)
	sys, sysErrs := a.SystemProxy()
	for _, err := range sysErrs {
		fmt.Fprintf(c.stderr, "kabootar: %v\n", err)
	}
	if sys.PAC != "" {
		fmt.Fprintf(c.stderr, "kabootar: the Windows settings name a proxy script (%s), which Kabootar does not follow; give the proxy's own port with --proxy\n", sys.PAC)
	}
	if *asJSON {
		type foundJSON struct {
			URL           string `json:"url"`
			Tool          string `json:"tool"`
			NeedsPassword bool   `json:"needs_password"`
		}
		out := []foundJSON{}
		for _, f := range found {
			out = append(out, foundJSON{f.URL, f.Tool, f.NeedsPassword})
		}
		return c.printJSON(out)
	}
	if len(found) == 0 {
		fmt.Fprintln(c.stdout, "no proxy found: none in the system's settings, on the usual ports, or in the environment")
		return nil
	}
	for _, f := range found {
		line := f.URL + "  (" + f.Tool + ")"
		if f.NeedsPassword {
			line += "  needs a user name and password"
		}
		fmt.Fprintln(c.stdout, line)
	}
	fmt.Fprintln(c.stdout, "use one with: kabootar transport set --proxy URL")
	return nil
}

type transportJSON struct {
	Mode       string   `json:"mode"`
	Proxies    []string `json:"proxies"`
	DoH        []string `json:"doh"`
	EnvProxies []string `json:"env_proxies"`
	NoProxy    string   `json:"no_proxy"`
	Trusted    []string `json:"trusted"`
	Routes     []string `json:"routes"`
	Tactics    bool     `json:"tactics"`
	ECH        bool     `json:"ech"`
	Fronts     []string `json:"fronts"`
	Tor        string   `json:"tor"`
	TorBridges []string `json:"tor_bridges"`
	// Network is this network's ID and Remembered the route that last
	// worked for each site on it.
	Network     string           `json:"network"`
	NetworkFrom string           `json:"network_from"`
	Remembered  []rememberedJSON `json:"remembered"`
}

type rememberedJSON struct {
	Host  string    `json:"host"`
	Route string    `json:"route"`
	At    time.Time `json:"at"`
}

// printTransport shows the configuration, passwords as ***, and the routes
// it gives now (a local Tor included, when one answers).
func (c *cli) printTransport(ctx context.Context, a *app.App, asJSON bool) error {
	cfg, err := a.Config(ctx)
	if err != nil {
		return err
	}
	client := transport.New(transport.Options{Config: cfg, Logger: c.log})
	defer client.Close()
	n, _ := app.LoadNetwork(ctx, a.Store())
	out := transportJSON{Mode: string(cfg.Mode), Proxies: []string{}, DoH: []string{}, EnvProxies: []string{},
		NoProxy: cfg.NoProxy, Trusted: []string{}, Routes: nonNil(client.Routes(ctx)), Tactics: cfg.Tactics, ECH: cfg.ECH, Fronts: []string{}, Tor: n.Tor, TorBridges: nonNil(n.TorBridges)}
	for _, p := range cfg.Proxies {
		out.Proxies = append(out.Proxies, p.String())
	}
	for _, d := range cfg.DoH {
		out.DoH = append(out.DoH, d.String())
	}
	for _, p := range cfg.EnvProxies {
		out.EnvProxies = append(out.EnvProxies, p.String())
	}
	for _, t := range cfg.TrustedNets {
		out.Trusted = append(out.Trusted, t.String())
	}
	for _, f := range cfg.Fronts {
		out.Fronts = append(out.Fronts, f.String())
	}
	network, winners, err := a.RouteMemory(ctx, 20)
	if err != nil {
		return err
	}
	out.Network, out.NetworkFrom, out.Remembered = network.ID, network.Describe, []rememberedJSON{}
	for _, w := range winners {
		out.Remembered = append(out.Remembered, rememberedJSON{Host: w.Host, Route: w.Route, At: w.At})
	}
	if asJSON {
		return c.printJSON(out)
	}
	modeText := map[string]string{
		"auto":   "auto (every route: direct, DNS-over-HTTPS, proxies; the first that works wins)",
		"direct": "direct (direct and DNS-over-HTTPS only)",
		"proxy":  "proxy (strict: only the proxies below; nothing else leaves this computer)",
	}
	fmt.Fprintf(c.stdout, "mode:    %s\n", modeText[out.Mode])
	fmt.Fprintf(c.stdout, "proxies: %s\n", listOr(out.Proxies, "none"))
	if len(out.EnvProxies) > 0 {
		fmt.Fprintf(c.stdout, "from the environment or the system's settings: %s", strings.Join(out.EnvProxies, ", "))
		if out.NoProxy != "" {
			fmt.Fprintf(c.stdout, " (not for %s)", out.NoProxy)
		}
		fmt.Fprintln(c.stdout)
	}
	doh := listOr(out.DoH, "off")
	if cfg.Mode == transport.ModeProxy {
		doh += " (not used in strict mode)"
	}
	fmt.Fprintf(c.stdout, "DoH:     %s\n", doh)
	// onText says how a tactic stands: on (what it does), off, or unused.
	onText := func(on bool, what string) string {
		switch {
		case cfg.Mode == transport.ModeProxy:
			return "not used in strict mode"
		case !on:
			return "off"
		}
		return "on (" + what + ": tried when a direct connection is cut)"
	}
	fmt.Fprintf(c.stdout, "tactics: %s\n", onText(out.Tactics, "split, tlsfrag"))
	echText := onText(out.ECH, "Encrypted Client Hello, for the sites that publish a key")
	if out.ECH && len(cfg.DoH) == 0 && cfg.Mode != transport.ModeProxy {
		echText = "on, but unused: it needs DNS-over-HTTPS (--doh default)"
	}
	fmt.Fprintf(c.stdout, "ECH:     %s\n", echText)
	if len(out.Fronts) > 0 {
		fronts := strings.Join(out.Fronts, ", ")
		if cfg.Mode == transport.ModeProxy {
			fronts += " (not used in strict mode)"
		}
		fmt.Fprintf(c.stdout, "fronts:  %s\n", fronts)
	}
	if len(out.Trusted) > 0 {
		fmt.Fprintf(c.stdout, "trusted: %s\n", strings.Join(out.Trusted, ", "))
	}
	torText := map[string]string{app.TorAuto: "auto (Kabootar starts its own when everything else failed)",
		app.TorAlways: "always (Kabootar starts its own with each run)", app.TorOff: "off"}[out.Tor]
	fmt.Fprintf(c.stdout, "Tor:     %s; bridges: %s\n", torText, listOr(out.TorBridges, "none"))
	fmt.Fprintf(c.stdout, "routes:  %s\n", listOr(out.Routes, "none"))
	if out.Network == "" {
		fmt.Fprintln(c.stdout, "network: none found (no interface is up)")
		return nil
	}
	fmt.Fprintf(c.stdout, "network: %s (%s); what worked here is tried first here only\n", out.Network, out.NetworkFrom)
	for _, r := range out.Remembered {
		fmt.Fprintf(c.stdout, "  %s: %s, %s\n", r.Host, r.Route, r.At.Local().Format("2006-01-02 15:04"))
	}
	return nil
}

func listOr(l []string, none string) string {
	if len(l) == 0 {
		return none
	}
	return strings.Join(l, ", ")
}

type diagnosisJSON struct {
	Route   string `json:"route"`
	URL     string `json:"url"`
	OK      bool   `json:"ok"`
	Verdict string `json:"verdict"`
	Status  int    `json:"status,omitempty"`
	Bytes   int    `json:"bytes,omitempty"`
	// Milliseconds from the attempt's start; 0 when it did not get that
	// far (or, for DNS, when a proxy resolved the name).
	DNSMS       float64 `json:"dns_ms"`
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
	TotalMS     float64 `json:"total_ms"`
	Error       string  `json:"error,omitempty"`
}

func (c *cli) diagnose(ctx context.Context, args []string) error {
	fs := c.flags("diagnose")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if err := needArgs("diagnose", rest, 1, "one URL"); err != nil {
		return err
	}
	u, err := feeds.NormalizeURL(rest[0])
	if err != nil {
		return usagef("%v", err)
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	ds, err := a.Diagnose(ctx, u)
	if err != nil {
		return err
	}
	out := struct {
		URL    string          `json:"url"`
		At     string          `json:"at"`
		Mode   string          `json:"mode"`
		Routes []diagnosisJSON `json:"routes"`
	}{URL: u, At: time.Now().UTC().Format(time.RFC3339), Routes: []diagnosisJSON{}}
	if cfg, err := a.Config(ctx); err == nil {
		out.Mode = string(cfg.Mode)
	}
	ok := false
	for _, d := range ds {
		j := diagnosisJSON{Route: d.Route, URL: d.URL, OK: d.Verdict == "", Verdict: string(d.Verdict),
			Status: d.Status, Bytes: d.Bytes, DNSMS: msOf(d.Timings.DNS), ConnectMS: msOf(d.Timings.Connect),
			TLSMS: msOf(d.Timings.TLS), FirstByteMS: msOf(d.Timings.FirstByte), TotalMS: msOf(d.Elapsed)}
		if d.Err != nil {
			j.Error = d.Err.Error()
		}
		ok = ok || j.OK
		out.Routes = append(out.Routes, j)
	}
	if *asJSON {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "%s, %s, mode %s\n", out.URL, out.At, out.Mode)
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ROUTE\tRESULT\tDNS\tCONNECT\tTLS\tFIRST BYTE\tTOTAL")
		for _, r := range out.Routes {
			res := "ok"
			if r.Status != 0 {
				res = fmt.Sprintf("ok (%d, %d bytes)", r.Status, r.Bytes)
			}
			if !r.OK {
				res = r.Verdict
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Route, res, ms(r.DNSMS), ms(r.ConnectMS), ms(r.TLSMS), ms(r.FirstByteMS), ms(r.TotalMS))
		}
		tw.Flush()
		for _, r := range out.Routes {
			if r.Error != "" {
				fmt.Fprintf(c.stdout, "%s: %s\n", r.Route, r.Error)
			}
		}
	}
	if !ok {
		return &failedError{}
	}
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func ms(n float64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f ms", n)
}
