package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/transport"
)

// Storage is where the cache lives and how much it keeps.
type Storage = app.Storage

// StorageSettings reads and changes the storage settings.
type StorageSettings interface {
	Storage(ctx context.Context) (Storage, error)
	SetStorage(ctx context.Context, s Storage) error
}

// Connection is the connection settings as the window edits them.
// Proxies are shown with their passwords as ***; saving a line unchanged
// keeps the password stored.
type Connection = app.Connection

// RouteCheck is how one route fared in a connection test.
type RouteCheck = app.RouteCheck

// ConnectionSettings is what the settings dialog needs: the command line
// gives it the same code as `kabootar transport set` and `diagnose`.
type ConnectionSettings interface {
	Connection(ctx context.Context) (Connection, error)
	SetConnection(ctx context.Context, c Connection) error
	// TestConnection tries every route on target, or on the first
	// source when target is "".
	TestConnection(ctx context.Context, target string) ([]RouteCheck, error)
}

var modes = []string{"auto", "direct", "proxy"}

func modeLabel(m string) string {
	switch m {
	case "direct":
		return lang.L("Direct only")
	case "proxy":
		return lang.L("Proxy only (strict)")
	}
	return lang.L("Automatic")
}

// applyReading shows the theme and text size at once, and keeps them.
func (w *Window) applyReading(r Reading) {
	if r == w.reading {
		return
	}
	w.reading = r
	w.app.Settings().SetTheme(newTheme(r))
	if w.deps.Settings != nil {
		w.bg.Go(func() {
			if err := w.deps.Settings.SaveReading(context.Background(), r); err != nil {
				w.do(func() { w.showError(err) })
			}
		})
	}
}

// showSettings opens the settings.
func (w *Window) showSettings() {
	var cs ConnectionSettings = noConnection{}
	if w.deps.Settings != nil {
		cs = w.deps.Settings
	}
	w.bg.Go(func() {
		conn, err := cs.Connection(context.Background())
		var st Storage
		if err == nil && w.deps.Settings != nil {
			st, err = w.deps.Settings.Storage(context.Background())
		}
		// Sharing that cannot be read leaves its tab out, said; the other
		// settings still open (they may be how it is fixed).
		var sh *sharingState
		var shErr error
		if err == nil && w.deps.Sharing != nil {
			sh, shErr = loadSharing(context.Background(), w.deps.Sharing)
		}
		w.do(func() {
			if err != nil {
				w.showError(err)
				return
			}
			w.settingsDialog(cs, conn, st, sh)
			if shErr != nil {
				w.showError(shErr)
			}
		})
	})
}

// settingsForm is the settings dialog's widgets.
type settingsForm struct {
	resolvers, bridges       *dialogEntry
	days, perSource, mediaMB *dialogEntry
	every                    *dialogEntry
	language                 *widget.Select

	theme   *widget.Select
	size    *widget.Select
	mode    *widget.RadioGroup
	proxies *dialogEntry
	doh     *widget.Check
	// The ways through without a proxy: the tactics, ECH, the fronts.
	tactics, ech *widget.Check
	fronts       *dialogEntry
	results      *widget.Label
	checks       *fyne.Container // a row per route: the route, and how it fared
	// Kabootar's Tor: when it runs, its bridges, pasted lines (tor nil:
	// tor is not installed, and the settings say what to install).
	tor        *widget.Select
	torBridges *widget.Select
	torLines   *dialogEntry
	test       *widget.Button
	save       func()
	tabs       *container.AppTabs // Reading, Connection, Tor, Storage, Sharing
	folder     *dialogEntry       // the shared folder (nil: no Sharing tab)
}

// It is long because it lays out one dialog, widget after widget.
func (w *Window) settingsDialog(cs ConnectionSettings, conn Connection, st Storage, sh *sharingState) *settingsForm {
	var labels []string
	for _, m := range modes {
		labels = append(labels, modeLabel(m))
	}
	mode := widget.NewRadioGroup(labels, nil)
	mode.SetSelected(modeLabel(conn.Mode))
	proxies := w.newEntry(true)
	proxies.SetPlaceHolder("socks5://127.0.0.1:9050")
	proxies.SetText(strings.Join(conn.Proxies, "\n"))
	proxies.SetMinRowsVisible(3)
	doh := widget.NewCheck(lang.L("DNS-over-HTTPS"), nil)
	doh.SetChecked(conn.DoH)
	resolvers := w.newEntry(true)
	resolvers.SetPlaceHolder(lang.L("Your own resolvers, one per line (empty: the built-in ones)"))
	resolvers.SetText(strings.Join(conn.Resolvers, "\n"))
	resolvers.SetMinRowsVisible(2)
	tactics := widget.NewCheck(lang.L("Cut the hello so that filters miss the site's name"), nil)
	tactics.SetChecked(conn.Tactics)
	ech := widget.NewCheck(lang.L("Encrypt the site's name, for the sites that publish a key"), nil)
	ech.SetChecked(conn.ECH)
	fronts := w.newEntry(true)
	fronts.SetPlaceHolder("news.example=cdn.example@192.0.2.7")
	fronts.SetText(strings.Join(conn.Fronts, "\n"))
	fronts.SetMinRowsVisible(2)
	bridges := w.newEntry(true)
	bridges.SetPlaceHolder("https://rsshub.example")
	bridges.SetText(strings.Join(conn.Bridges, "\n"))
	bridges.SetMinRowsVisible(2)
	results := widget.NewLabel("")
	results.Wrapping = fyne.TextWrapWord
	results.Alignment = alignFor(lang.L("Testing…"))
	grid := container.NewGridWithColumns(2)
	test := widget.NewButton(lang.L("Test"), nil)
	test.OnTapped = func() {
		test.Disable()
		results.SetText(lang.L("Testing…"))
		showChecks(grid, nil)
		w.bg.Go(func() {
			checks, err := cs.TestConnection(context.Background(), "")
			w.do(func() {
				test.Enable()
				if err != nil {
					results.SetText(friendly(err) + "\n" + err.Error())
					return
				}
				results.SetText("")
				showChecks(grid, checks)
			})
		})
	}
	themes := []string{"system", "light", "dark"}
	themeLabels := []string{lang.L("System"), lang.L("Light"), lang.L("Dark")}
	scales := []float32{1, 1.15, 1.3}
	sizeLabels := []string{lang.L("Normal"), lang.L("Large"), lang.L("Larger")}
	langs := []string{"", "en", "fa"}
	langSel := widget.NewSelect([]string{lang.L("System"), "English", "فارسی"}, nil)
	langSel.SetSelectedIndex(0)
	for i, l := range langs {
		if l == w.reading.Language {
			langSel.SetSelectedIndex(i)
		}
	}
	themeSel := widget.NewSelect(themeLabels, nil)
	sizeSel := widget.NewSelect(sizeLabels, nil)
	themeSel.SetSelectedIndex(0)
	sizeSel.SetSelectedIndex(0)
	for i, t := range themes {
		if t == w.reading.Theme {
			themeSel.SetSelectedIndex(i)
		}
	}
	for i, sc := range scales {
		if sc == w.reading.Scale {
			sizeSel.SetSelectedIndex(i)
		}
	}
	reading := container.NewVBox(
		pairs(textLabel(lang.L("Language (when Kabootar starts again)")), langSel,
			textLabel(lang.L("Theme")), themeSel, textLabel(lang.L("Text size")), sizeSel))
	connection := container.NewVBox(
		mode,
		textLabel(lang.L("Proxies, one per line (Tor: socks5://127.0.0.1:9050)")),
		proxies, doh, resolvers,
		widget.NewLabelWithStyle(lang.L("Ways to get through without a proxy"), alignFor(lang.L("Ways to get through without a proxy")), fyne.TextStyle{Bold: true}),
		tactics, ech,
		textLabel(lang.L("Fronts, one per line: site=front or site=front@address")), fronts,
		textLabel(lang.L("Bridges for Instagram and X, one per line (RSSHub or RSS-Bridge instances you trust)")), bridges)
	connection.Add(test)
	connection.Add(results)
	connection.Add(grid)
	// Kabootar's own Tor: a tab of its own, seen without scrolling.
	torBox := container.NewVBox()
	torSel, torBridges, torLines := w.torSettings(torBox, conn)
	storage := container.NewVBox()
	days, perSource, mediaMB, every := w.newEntry(false), w.newEntry(false), w.newEntry(false), w.newEntry(false)
	if w.deps.Settings != nil {
		days.SetText(strconv.Itoa(st.RetentionDays))
		perSource.SetText(strconv.Itoa(st.PerSource))
		mediaMB.SetText(strconv.Itoa(st.MediaMB))
		every.SetText(strconv.Itoa(st.RefreshMinutes))
		storage.Add(widget.NewLabel(fmt.Sprintf("%s (%.1f MB)", st.Path, float64(st.Size)/(1<<20))))
		storage.Add(pairs(
			textLabel(lang.L("Keep articles (days)")), days,
			textLabel(lang.L("Articles per source")), perSource,
			textLabel(lang.L("Images (MB)")), mediaMB,
			textLabel(lang.L("Refresh every (minutes, 0: never)")), every))
	}
	if w.deps.Actions != nil {
		// Saved news to carry to someone whose network is down, or from
		// someone whose network works.
		storage.Add(container.NewHBox(
			widget.NewButton(lang.L("Import saved news…"), w.importBundle),
			widget.NewButton(lang.L("Export saved news…"), w.exportBundle)))
	}
	if w.deps.Actions != nil {
		storage.Add(container.NewHBox(
			widget.NewButton(lang.L("Import OPML…"), w.importOPML),
			widget.NewButton(lang.L("Export OPML…"), w.exportOPML)))
	}
	// One tab a section, each scrolled on its own, instead of one long
	// scroll.
	tabs := container.NewAppTabs(
		container.NewTabItem(lang.L("Reading"), container.NewVScroll(reading)),
		container.NewTabItem(lang.L("Connection"), container.NewVScroll(connection)),
		container.NewTabItem("Tor", container.NewVScroll(torBox)),
		container.NewTabItem(lang.L("Storage"), container.NewVScroll(storage)))
	var folder *dialogEntry
	if sh != nil {
		var sharing fyne.CanvasObject
		sharing, folder = w.sharingTab(sh)
		tabs.Append(container.NewTabItem(lang.L("Sharing"), container.NewVScroll(sharing)))
	}
	f := &settingsForm{folder: folder, tabs: tabs, resolvers: resolvers, bridges: bridges, language: langSel, days: days, perSource: perSource, mediaMB: mediaMB, every: every, theme: themeSel, size: sizeSel, mode: mode, proxies: proxies, doh: doh, tactics: tactics, ech: ech, fronts: fronts, results: results, checks: grid, test: test,
		tor: torSel, torBridges: torBridges, torLines: torLines}
	f.save = func() {
		w.applyReading(Reading{Theme: themes[max(themeSel.SelectedIndex(), 0)], Scale: scales[max(sizeSel.SelectedIndex(), 0)],
			Language: langs[max(langSel.SelectedIndex(), 0)]})
		next := Connection{DoH: doh.Checked, Tactics: tactics.Checked, ECH: ech.Checked, Fronts: lines(fronts.Text)}
		for i, l := range labels {
			if l == mode.Selected {
				next.Mode = modes[i]
			}
		}
		next.Proxies = lines(proxies.Text)
		next.Resolvers = lines(resolvers.Text)
		next.Bridges = lines(bridges.Text)
		next.Tor, next.TorBridges = torChoice(torSel, torBridges, torLines)
		nextStorage := st
		folderText := ""
		if folder != nil {
			folderText = folder.Text
		}
		var bad error
		for _, f := range []struct {
			e   *dialogEntry
			dst *int
		}{{days, &nextStorage.RetentionDays}, {perSource, &nextStorage.PerSource}, {mediaMB, &nextStorage.MediaMB}, {every, &nextStorage.RefreshMinutes}} {
			if n, err := strconv.Atoi(strings.TrimSpace(f.e.Text)); err == nil && n >= 0 {
				*f.dst = n
			} else if w.deps.Settings != nil {
				bad = fmt.Errorf("%q: %s", f.e.Text, lang.L("give a whole number, 0 for no limit"))
			}
		}
		w.bg.Go(func() {
			err := cs.SetConnection(context.Background(), next)
			if err == nil && bad != nil {
				err = bad
			}
			if err == nil && w.deps.Settings != nil && nextStorage != st {
				err = w.deps.Settings.SetStorage(context.Background(), nextStorage)
			}
			if err == nil && folder != nil && strings.TrimSpace(folderText) != sh.status.Dir {
				_, err = w.deps.Sharing.SetShare(context.Background(), strings.TrimSpace(folderText), 0, 0)
			}
			w.do(func() {
				if err != nil {
					w.showError(err)
					return
				}
				if w.deps.Settings != nil {
					w.interval = time.Duration(nextStorage.RefreshMinutes) * time.Minute
				}
			})
		})
	}
	for i, name := range []string{"reading", "connection", "tor", "storage", "sharing"} {
		if name == w.deps.Options.SettingsTab && i < len(tabs.Items) {
			tabs.SelectIndex(i)
		}
	}
	d := w.showConfirm(lang.L("Settings"), lang.L("Save"), lang.L("Cancel"), tabs, func() { f.save() }, false)
	d.Resize(fyne.NewSize(600, 640))
	return f
}

// RouteText says in the reader's words what a route is: "direct, the
// hello split in two packets…", "your proxy".
func RouteText(route string) string {
	switch {
	case strings.HasPrefix(route, transport.RoutePrefixFront):
		return lang.L("route.front", map[string]any{"Front": strings.TrimPrefix(route, transport.RoutePrefixFront)})
	case feeds.IsProxyRoute(route):
		return lang.L("route.proxy")
	}
	key := "route." + route
	if t := lang.L(key); t != key {
		return t
	}
	return route
}

// showChecks fills grid with a row per route: the route (with the
// verdict's code, for a bug report) and, in the reader's language, what
// the route is, how it fared and how long it took. Labels of their own,
// so that no run mixes a Latin address and Persian words.
func showChecks(grid *fyne.Container, checks []RouteCheck) {
	grid.Objects = nil
	for _, c := range checks {
		route, state := c.Route, lang.L("works")
		if !c.OK {
			route += " · " + c.Verdict
			state = VerdictText(c.Verdict)
		}
		state = RouteText(c.Route) + "\n" + lang.L("{{.State}}, {{.MS}} ms", map[string]any{"State": state, "MS": c.Elapsed.Milliseconds()})
		r := widget.NewLabelWithStyle(route, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		r.Wrapping = fyne.TextWrapBreak
		s := widget.NewLabel(state)
		s.Wrapping = fyne.TextWrapWord
		s.Alignment = alignFor(state)
		grid.Add(r)
		grid.Add(s)
	}
	grid.Refresh()
}

// noConnection stands in when the window has no connection settings.
type noConnection struct{}

func (noConnection) Connection(context.Context) (Connection, error) {
	return Connection{Mode: "auto"}, nil
}
func (noConnection) SetConnection(context.Context, Connection) error { return nil }
func (noConnection) TestConnection(context.Context, string) ([]RouteCheck, error) {
	return nil, fmt.Errorf("no connection to test")
}

// lines are the non-blank lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// textLabel is a label aligned to its text's direction: right for Persian.
func textLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Alignment = alignFor(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// pairs lays out label and field pairs in two columns, the label first in
// the reading direction: on the right in Persian.
func pairs(objs ...fyne.CanvasObject) *fyne.Container {
	if alignFor(lang.L("Settings")) == fyne.TextAlignTrailing {
		objs = slices.Clone(objs)
		for i := 0; i+1 < len(objs); i += 2 {
			objs[i], objs[i+1] = objs[i+1], objs[i]
		}
	}
	return container.NewGridWithColumns(2, objs...)
}
