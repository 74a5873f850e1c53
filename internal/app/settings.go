package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/tor"
	"github.com/kabootar/kabootar/internal/transport"
)

// Every setting's key. The cache reads three itself (retention and the
// media budget), so they are named where it reads them.
const (
	keyMode       = "transport.mode"    // auto | direct | proxy
	keyProxies    = "transport.proxies" // JSON list of proxy URLs, passwords included
	keyDoH        = "transport.doh"     // JSON list of resolvers, or "off"; unset or []: the defaults
	keyTrusted    = "transport.trusted" // JSON list of CIDR ranges
	keyTactics    = "transport.tactics" // on | off: split and tlsfrag
	keyFronts     = "transport.fronts"  // JSON list of HOST=FRONT[@ADDR]
	keyECH        = "transport.ech"     // on | off: Encrypted Client Hello
	keyBridges    = "bridges"           // JSON list of base URLs
	keyTemplates  = "bridge.templates"  // JSON object: kind -> URL template, the reader's own
	keyTor        = "tor.mode"          // auto | always | off
	keyTorBridges = "tor.bridges"       // JSON list: obfs4, snowflake, none, or bridge lines

	keyTheme     = "ui.theme"      // system, light or dark
	keyTextScale = "ui.text_scale" // 1, 1.15 or 1.3
	keyLanguage  = "ui.language"   // "" (the system's), en or fa

	keyRetentionDays = cache.SettingRetentionDays
	keyPerSource     = cache.SettingRetentionPerSource
	keyMediaMB       = cache.SettingMediaBudgetMB
	keyRefresh       = "refresh.interval_minutes" // the window's background refreshes; 0: none
	keyBackfill      = "telegram.backfill"        // posts a channel's first refresh reads back

	keyNotify   = "notify.sources" // JSON list of source IDs
	keyWelcomed = "ui.welcomed"    // "1" once the welcome was gone through
	keyWindow   = "ui.window"      // JSON: the window's size, panes and source, as last closed

	keyShareDir   = "share.dir"       // the shared folder; "": no sharing
	keyShareDays  = "share.keep_days" // own bundles older than this are pruned
	keyShareMaxMB = "share.max_mb"    // and the oldest past this size
)

// ErrSettings is a stored setting that cannot be used.
var ErrSettings = errors.New("the settings cannot be used")

// ErrStrict is strict mode (only the proxies) set up so that it could not
// hold: no proxy, or a proxy named by a host name that would be looked up
// outside it.
var ErrStrict = errors.New("strict mode")

// settingStore is what the settings are kept in (a cache.Store).
type settingStore interface {
	Setting(ctx context.Context, key string) (string, bool, error)
	SetSettings(ctx context.Context, kv map[string]string) error
}

// Network is how Kabootar reaches the network: its mode, proxies,
// resolvers, trusted ranges and the bridges for accounts.
type Network struct {
	Mode    transport.Mode
	Proxies []transport.Proxy
	DoH     []transport.DoHServer // none: the built-in ones, unless DoHOff
	DoHOff  bool
	// TacticsOff turns off the tactics (split, tlsfrag): on by default.
	TacticsOff bool
	// ECHOff turns off Encrypted Client Hello: on by default.
	ECHOff bool
	// Fronts are the reader's domain fronts.
	Fronts  []transport.Front
	Trusted []netip.Prefix
	Bridges []string // RSSHub or RSS-Bridge base URLs
	// Templates are the reader's own bridge routes, by kind; the rest are
	// feeds.DefaultBridgeTemplates.
	Templates map[string]string
	// Tor is when Kabootar runs its own Tor: TorAuto (when everything
	// else failed), TorAlways or TorOff.
	Tor string
	// TorBridges are Tor's bridges: "obfs4" and "snowflake" (the
	// built-in ones), "none" (plain Tor), or bridge lines.
	TorBridges []string
}

// When Kabootar runs its own Tor.
const (
	TorAuto   = "auto"
	TorAlways = "always"
	TorOff    = "off"
)

// DefaultTorBridges are the built-in bridges of both transports (those
// installed are used).
var DefaultTorBridges = []string{"snowflake", "obfs4"}

// DefaultNetwork is every route, the built-in resolvers, Tor when nothing
// else works, nothing else.
func DefaultNetwork() Network {
	return Network{Mode: transport.ModeAuto, Tor: TorAuto, TorBridges: DefaultTorBridges}
}

// ParseTorMode reads --tor as typed.
func ParseTorMode(s string) (string, error) {
	switch m := strings.ToLower(strings.TrimSpace(s)); m {
	case TorAuto, TorAlways, TorOff:
		return m, nil
	}
	return "", fmt.Errorf("unknown --tor %q: use auto, always or off", s)
}

// ParseOnOff reads on or off as typed.
func ParseOnOff(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, fmt.Errorf("%q: use on or off", s)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// CheckTorBridges refuses a list that cannot be used: an unknown word, a
// malformed line (named), or "none" beside bridges.
func CheckTorBridges(list []string) error {
	for _, b := range list {
		switch b {
		case "obfs4", "snowflake":
		case "none":
			if len(list) > 1 {
				return errors.New(`"none" (plain Tor) cannot go with bridges`)
			}
		default:
			if _, err := tor.ParseBridge(b); err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate refuses what could not work: in strict mode, no proxy, or a
// proxy given by name (it would be looked up outside the proxy).
func (n Network) Validate() error {
	if _, err := ParseTorMode(cmp.Or(n.Tor, TorAuto)); err != nil {
		return err
	}
	if err := CheckTorBridges(n.TorBridges); err != nil {
		return err
	}
	if n.Mode != transport.ModeProxy {
		return nil
	}
	if len(n.Proxies) == 0 && n.Tor != TorAlways {
		return fmt.Errorf("%w (--mode proxy) needs a proxy: add --proxy socks5://127.0.0.1:9050 (Tor), or the port of your Psiphon, V2Ray or ssh -D, or run Kabootar's own Tor (--tor always)", ErrStrict)
	}
	for _, p := range n.Proxies {
		if h := hostOnly(p.Addr()); h != "localhost" {
			if _, err := netip.ParseAddr(h); err != nil {
				return fmt.Errorf("in %w a proxy is given by its IP address (or localhost), so that no name is looked up outside it: %s", ErrStrict, p)
			}
		}
	}
	return nil
}

func hostOnly(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// Resolvers are the DoH resolvers the routes use.
func (n Network) Resolvers() []transport.DoHServer {
	switch {
	case n.DoHOff:
		return nil
	case len(n.DoH) > 0:
		return n.DoH
	}
	return transport.DefaultDoH
}

// BridgeTemplates are the bridge routes by kind: the defaults, with the
// reader's own over them.
func (n Network) BridgeTemplates() map[string]string {
	t := feeds.DefaultBridgeTemplates()
	for k, v := range n.Templates {
		t[k] = v
	}
	return t
}

// LoadNetwork reads the network settings. A key that cannot be read is
// left at its default and reported (ErrSettings), with the others read:
// saving the result changes only what the caller changed and the bad key.
func LoadNetwork(ctx context.Context, st settingStore) (Network, error) {
	n := DefaultNetwork()
	var errs []error
	bad := func(key string, err error) { errs = append(errs, fmt.Errorf("setting %s: %w", key, err)) }
	if v, ok, err := st.Setting(ctx, keyMode); err != nil {
		return n, err
	} else if ok {
		if n.Mode, err = transport.ParseMode(v); err != nil {
			n.Mode = transport.ModeAuto
			bad(keyMode, err)
		}
	}
	n.Proxies = listSetting(ctx, st, keyProxies, transport.ParseProxy, bad)
	if v, ok, err := st.Setting(ctx, keyDoH); err != nil {
		return n, err
	} else if ok && v == "off" {
		n.DoHOff = true
	} else if ok {
		var raw []string
		if err := json.Unmarshal([]byte(v), &raw); err != nil {
			bad(keyDoH, err)
		}
		for _, s := range raw {
			d, err := transport.ParseDoH(s)
			if err != nil {
				bad(keyDoH, err)
				n.DoH = nil
				break
			}
			n.DoH = append(n.DoH, d)
		}
	}
	for key, off := range map[string]*bool{keyTactics: &n.TacticsOff, keyECH: &n.ECHOff} {
		if v, ok, err := st.Setting(ctx, key); err != nil {
			return n, err
		} else if ok {
			if on, err := ParseOnOff(v); err != nil {
				bad(key, err)
			} else {
				*off = !on
			}
		}
	}
	n.Fronts = listSetting(ctx, st, keyFronts, transport.ParseFront, bad)
	n.Trusted = listSetting(ctx, st, keyTrusted, netip.ParsePrefix, bad)
	if err := jsonSetting(ctx, st, keyBridges, &n.Bridges); err != nil {
		bad(keyBridges, err)
	}
	if err := jsonSetting(ctx, st, keyTemplates, &n.Templates); err != nil {
		bad(keyTemplates, err)
	}
	if v, ok, err := st.Setting(ctx, keyTor); err != nil {
		return n, err
	} else if ok {
		if n.Tor, err = ParseTorMode(v); err != nil {
			n.Tor = TorAuto
			bad(keyTor, err)
		}
	}
	if v, ok, err := st.Setting(ctx, keyTorBridges); err != nil {
		return n, err
	} else if ok {
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err != nil || CheckTorBridges(list) != nil || len(list) == 0 {
			bad(keyTorBridges, fmt.Errorf("%q is not a list of bridges", v))
		} else {
			n.TorBridges = list
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("%w: %w", ErrSettings, errors.Join(errs...))
	}
	return n, nil
}

// Save validates n and stores all of it in one transaction.
func (n Network) Save(ctx context.Context, st settingStore) error {
	if err := n.Validate(); err != nil {
		return err
	}
	proxies := []string{}
	for _, p := range n.Proxies {
		proxies = append(proxies, p.URL())
	}
	doh := mustJSON(stringsOf(n.DoH))
	if n.DoHOff {
		doh = "off"
	}
	trusted := []string{}
	for _, t := range n.Trusted {
		trusted = append(trusted, t.Masked().String())
	}
	return st.SetSettings(ctx, map[string]string{
		keyMode:       string(n.Mode),
		keyProxies:    mustJSON(proxies),
		keyDoH:        doh,
		keyTactics:    onOff(!n.TacticsOff),
		keyECH:        onOff(!n.ECHOff),
		keyFronts:     mustJSON(stringsOf(n.Fronts)),
		keyTrusted:    mustJSON(trusted),
		keyBridges:    mustJSON(nonNil(n.Bridges)),
		keyTemplates:  mustJSON(n.Templates),
		keyTor:        cmp.Or(n.Tor, TorAuto),
		keyTorBridges: mustJSON(nonNil(n.TorBridges)),
	})
}

func stringsOf[T fmt.Stringer](l []T) []string {
	out := []string{}
	for _, v := range l {
		out = append(out, v.String())
	}
	return out
}

// Reading is how articles look: the theme, the text size and the language.
type Reading struct {
	Theme string  // "system", "light" or "dark"
	Scale float32 // text size: 1 normal, 1.15 large, 1.3 larger
	// Language is "" (the system's), "en" or "fa"; it applies when
	// Kabootar starts again.
	Language string
}

// DefaultReading follows the system.
func DefaultReading() Reading { return Reading{Theme: "system", Scale: 1} }

// Validate refuses a theme, size or language the window does not have.
func (r Reading) Validate() error {
	switch {
	case !slices.Contains([]string{"system", "light", "dark"}, r.Theme):
		return fmt.Errorf("theme %q: choose system, light or dark", r.Theme)
	case r.Scale < 0.5 || r.Scale > 3:
		return fmt.Errorf("text size %.2f: choose between 0.5 and 3", r.Scale)
	case !slices.Contains([]string{"", "en", "fa"}, r.Language):
		return fmt.Errorf("language %q: choose en, fa or the system's", r.Language)
	}
	return nil
}

// LoadReading reads the reading settings; a value the window does not
// have is left at its default (another version may have written it).
func LoadReading(ctx context.Context, st settingStore) (Reading, error) {
	r := DefaultReading()
	if v, ok, err := st.Setting(ctx, keyTheme); err != nil {
		return r, err
	} else if ok && (v == "light" || v == "dark" || v == "system") {
		r.Theme = v
	}
	if v, ok, err := st.Setting(ctx, keyLanguage); err != nil {
		return r, err
	} else if ok && (v == "en" || v == "fa") {
		r.Language = v
	}
	if v, ok, err := st.Setting(ctx, keyTextScale); err != nil {
		return r, err
	} else if ok {
		if f, err := strconv.ParseFloat(v, 32); err == nil && f >= 0.5 && f <= 3 {
			r.Scale = float32(f)
		}
	}
	return r, nil
}

// Save validates r and stores all of it in one transaction.
func (r Reading) Save(ctx context.Context, st settingStore) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return st.SetSettings(ctx, map[string]string{
		keyTheme: r.Theme, keyLanguage: r.Language, keyTextScale: strconv.FormatFloat(float64(r.Scale), 'f', 2, 32),
	})
}

// Storage is how much the cache keeps and how often the window refreshes.
type Storage struct {
	Path string // the cache file (shown, not saved)
	Size int64  // its size in bytes (shown, not saved)

	RetentionDays int // 0: no limit
	PerSource     int // 0: no limit
	MediaMB       int // 0: no limit
	// RefreshMinutes is the time between background refreshes; 0: none.
	RefreshMinutes int
	// Backfill is how many posts a channel's first refresh reads back; 0:
	// the refresher's own default.
	Backfill int
}

// DefaultStorage is what a new cache keeps.
func DefaultStorage() Storage {
	return Storage{RetentionDays: cache.DefaultRetentionDays, PerSource: cache.DefaultRetentionPerSource,
		MediaMB: cache.DefaultMediaBudgetMB, RefreshMinutes: int(feeds.DefaultInterval / time.Minute)}
}

// Validate refuses negative amounts.
func (s Storage) Validate() error {
	for name, v := range map[string]int{"days to keep": s.RetentionDays, "articles per source": s.PerSource,
		"megabytes of images": s.MediaMB, "minutes between refreshes": s.RefreshMinutes, "posts to read back": s.Backfill} {
		if v < 0 {
			return fmt.Errorf("%s: %d is less than 0", name, v)
		}
	}
	return nil
}

// LoadStorage reads the storage settings; Path and Size are left to the
// caller, who knows the file.
func LoadStorage(ctx context.Context, st settingStore) (Storage, error) {
	s := DefaultStorage()
	for _, f := range []struct {
		key string
		v   *int
		min int
	}{{keyRetentionDays, &s.RetentionDays, 0}, {keyPerSource, &s.PerSource, 0}, {keyMediaMB, &s.MediaMB, 0},
		{keyRefresh, &s.RefreshMinutes, 0}, {keyBackfill, &s.Backfill, 1}} {
		v, ok, err := st.Setting(ctx, f.key)
		if err != nil {
			return s, err
		}
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < f.min {
			if f.key == keyRefresh {
				continue // the window's own; a bad one is the default
			}
			return s, fmt.Errorf("%w: setting %s: %q is not a number of %d or more", ErrSettings, f.key, v, f.min)
		}
		*f.v = n
	}
	return s, nil
}

// Save validates s and stores all of it in one transaction.
func (s Storage) Save(ctx context.Context, st settingStore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	kv := map[string]string{keyRetentionDays: strconv.Itoa(s.RetentionDays), keyPerSource: strconv.Itoa(s.PerSource),
		keyMediaMB: strconv.Itoa(s.MediaMB), keyRefresh: strconv.Itoa(s.RefreshMinutes)}
	if s.Backfill > 0 {
		kv[keyBackfill] = strconv.Itoa(s.Backfill)
	}
	return st.SetSettings(ctx, kv)
}

// Share is the shared folder: where signed bundles go after each refresh
// and where friends' bundles are read from. Own bundles are pruned there
// by age and total size.
type Share struct {
	Dir      string // absolute; "" when sharing is off
	KeepDays int
	MaxMB    int
}

// DefaultShare keeps a month of own bundles, at most 200 MB.
func DefaultShare() Share { return Share{KeepDays: 30, MaxMB: 200} }

// Validate refuses a relative folder and amounts under 1.
func (s Share) Validate() error {
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		return fmt.Errorf("the shared folder %q must be a full path", s.Dir)
	}
	if s.KeepDays < 1 || s.MaxMB < 1 {
		return fmt.Errorf("days to keep (%d) and megabytes (%d) must be 1 or more", s.KeepDays, s.MaxMB)
	}
	return nil
}

// LoadShare reads the sharing settings.
func LoadShare(ctx context.Context, st settingStore) (Share, error) {
	s := DefaultShare()
	v, _, err := st.Setting(ctx, keyShareDir)
	if err != nil {
		return s, err
	}
	s.Dir = v
	for key, p := range map[string]*int{keyShareDays: &s.KeepDays, keyShareMaxMB: &s.MaxMB} {
		v, ok, err := st.Setting(ctx, key)
		if err != nil {
			return s, err
		}
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s, fmt.Errorf("%w: setting %s: %q is not a number of 1 or more", ErrSettings, key, v)
		}
		*p = n
	}
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	return s, nil
}

// Save validates s and stores it.
func (s Share) Save(ctx context.Context, st settingStore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return st.SetSettings(ctx, map[string]string{keyShareDir: s.Dir, keyShareDays: strconv.Itoa(s.KeepDays),
		keyShareMaxMB: strconv.Itoa(s.MaxMB)})
}

// Notify is the sources whose new articles the window announces (none
// by default).
type Notify struct{ Sources map[int64]bool }

// LoadNotify reads the sources to announce.
func LoadNotify(ctx context.Context, st settingStore) (Notify, error) {
	var ids []int64
	n := Notify{Sources: map[int64]bool{}}
	if err := jsonSetting(ctx, st, keyNotify, &ids); err != nil {
		return n, fmt.Errorf("%w: %w", ErrSettings, err)
	}
	for _, id := range ids {
		n.Sources[id] = true
	}
	return n, nil
}

// Save stores the sources to announce, as a sorted list.
func (n Notify) Save(ctx context.Context, st settingStore) error {
	ids := []int64{}
	for id, on := range n.Sources {
		if on {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return st.SetSettings(ctx, map[string]string{keyNotify: mustJSON(ids)})
}

// WindowState is the window as the reader left it: its size, the panes'
// widths (the sources' share of the lists and the lists' share of the
// window, 0 to 1, whichever side they are on) and the source chosen (0:
// all).
type WindowState struct {
	Width, Height float32
	Lists, Main   float64
	SourceID      int64
}

// Validate refuses a size or offset no window can have.
func (s WindowState) Validate() error {
	switch {
	case s.Width < 0 || s.Height < 0 || s.Width > 1e5 || s.Height > 1e5:
		return fmt.Errorf("window size %vx%v", s.Width, s.Height)
	case s.Lists < 0 || s.Lists > 1 || s.Main < 0 || s.Main > 1:
		return fmt.Errorf("pane offsets %v and %v: between 0 and 1", s.Lists, s.Main)
	}
	return nil
}

// LoadWindow reads the window's state; one that cannot be used is the
// default (another version may have written it).
func LoadWindow(ctx context.Context, st settingStore) (WindowState, error) {
	var s WindowState
	if err := jsonSetting(ctx, st, keyWindow, &s); err != nil || s.Validate() != nil {
		return WindowState{}, nil
	}
	return s, nil
}

// Save validates s and stores it.
func (s WindowState) Save(ctx context.Context, st settingStore) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return st.SetSettings(ctx, map[string]string{keyWindow: mustJSON(s)})
}

// Welcome is whether the reader has been through the first run's welcome.
type Welcome struct{ Done bool }

// LoadWelcome reads whether the welcome was gone through.
func LoadWelcome(ctx context.Context, st settingStore) (Welcome, error) {
	v, _, err := st.Setting(ctx, keyWelcomed)
	return Welcome{Done: v == "1"}, err
}

// Save stores it.
func (w Welcome) Save(ctx context.Context, st settingStore) error {
	v := "0"
	if w.Done {
		v = "1"
	}
	return st.SetSettings(ctx, map[string]string{keyWelcomed: v})
}

// listSetting reads key's JSON list, each entry through parse. A list
// with an entry that cannot be used gives none, and is reported by bad.
func listSetting[T any](ctx context.Context, st settingStore, key string, parse func(string) (T, error), bad func(string, error)) []T {
	var raw []string
	if err := jsonSetting(ctx, st, key, &raw); err != nil {
		bad(key, err)
	}
	var out []T
	for _, s := range raw {
		v, err := parse(s)
		if err != nil {
			bad(key, err)
			return nil
		}
		out = append(out, v)
	}
	return out
}

func jsonSetting(ctx context.Context, st settingStore, key string, v any) error {
	s, ok, err := st.Setting(ctx, key)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
