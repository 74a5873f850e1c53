package ui

import (
	"context"
	"os"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/assets"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"

	"github.com/kabootar/kabootar/internal/app"
)

// FoundProxy is a proxy found on this computer, offered on the first run.
type FoundProxy = app.FoundProxy

// FirstRun is what the welcome works with. Options.FirstRun is nil once the
// reader has been welcomed.
type FirstRun struct {
	// Starters are offered grouped by language, those of the reader's
	// language ticked.
	Starters []feeds.Starter
	// Step starts the welcome further on (1 connection, 2 sources), for
	// screenshots.
	Step int
}

// SetLanguage makes lang.L speak code ("en", "fa", or "" for the system's).
// Fyne's translator reads the environment's languages when translations
// are loaded, so the choice goes there first.
func SetLanguage(code string) error {
	if code != "" {
		os.Setenv("LANGUAGE", code)
		// LANGUAGE is ignored when the locale is C or POSIX (gettext's
		// rule, which Fyne follows); a neutral UTF-8 locale lets it count.
		for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if v := os.Getenv(k); v != "" {
				if v == "C" || v == "POSIX" {
					os.Setenv(k, "C.UTF-8")
				}
				break
			}
		}
	}
	return LoadTranslations()
}

// welcome is the first-run flow: language, connection, starter sources,
// then the first refresh in the main window.
type welcome struct {
	w        *Window
	ctx      context.Context
	language string
	proxy    string // chosen or pasted; "" for Automatic
}

func (w *Window) showWelcome(ctx context.Context) {
	wc := &welcome{w: w, ctx: ctx, language: w.reading.Language}
	if wc.language == "" {
		// Until the reader chooses: the system's, if it is one we have.
		wc.language = "en"
		if strings.HasPrefix(string(lang.SystemLocale()), "fa") {
			wc.language = "fa"
		}
	}
	switch w.deps.Options.FirstRun.Step {
	case 1:
		wc.connectionStep()
	case 2:
		wc.sourcesStep()
	default:
		wc.languageStep()
	}
}

// page lays out one step: a title, its body, and the buttons at the foot.
func (wc *welcome) page(title, intro string, body fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	t := widget.NewLabelWithStyle(title, alignFor(title), fyne.TextStyle{Bold: true})
	t.SizeName = theme.SizeNameSubHeadingText
	i := widget.NewLabel(intro)
	i.Wrapping = fyne.TextWrapWord
	i.Alignment = alignFor(intro)
	foot := container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, buttons...)...)
	if alignFor(title) == fyne.TextAlignTrailing {
		// Right to left: "Back" on the right, the way forward on the left.
		rtl := slices.Clone(buttons)
		slices.Reverse(rtl)
		foot = container.NewHBox(append(rtl, layout.NewSpacer())...)
	}
	content := container.NewBorder(container.NewVBox(t, i), foot, nil, nil, body)
	// A column of reading width in the middle of the window.
	wc.w.win.SetContent(container.NewPadded(container.NewCenter(
		container.NewGridWrap(fyne.NewSize(640, 560), content))))
}

func (wc *welcome) languageStep() {
	choose := func(code string) func() {
		return func() {
			wc.language = code
			if err := SetLanguage(code); err != nil {
				wc.w.showError(err)
			}
			r := wc.w.reading
			r.Language = code
			wc.w.reading = r
			if wc.w.deps.Settings != nil {
				wc.w.bg.Go(func() {
					if err := wc.w.deps.Settings.SaveReading(context.Background(), r); err != nil {
						wc.w.do(func() { wc.w.showError(err) })
					}
				})
			}
			wc.connectionStep()
		}
	}
	en := widget.NewButton("English", choose("en"))
	fa := widget.NewButton("فارسی", choose("fa"))
	en.Importance, fa.Importance = widget.HighImportance, widget.HighImportance
	// Both languages at once: the reader has not chosen yet.
	fa1 := widget.NewLabel("کبوتر خبرها را از پشت سد سانسور می\u200cرساند و نگه می\u200cدارد تا بی\u200cاینترنت هم خوانده شوند. زبان را برگزینید.")
	fa1.Wrapping, fa1.Alignment = fyne.TextWrapWord, fyne.TextAlignTrailing
	icon := canvas.NewImageFromResource(fyne.NewStaticResource("kabootar.png", assets.Icon))
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSize(128, 128))
	body := container.NewVBox(fa1, container.NewGridWithColumns(2, en, fa), container.NewCenter(icon))
	wc.page("Kabootar · کبوتر",
		"Kabootar gets the news through blocks and keeps it for reading offline. Choose your language.",
		body)
}

// It is long because it lays out one step of the welcome, widget after
// widget.
func (wc *welcome) connectionStep() {
	const automatic = "auto"
	options := []string{lang.L("Automatic: no proxy (Kabootar tries every route it has)")}
	values := []string{automatic}
	choice := widget.NewRadioGroup(options, nil)
	status := widget.NewLabel(lang.L("Looking for a proxy on this computer…"))
	status.Alignment = alignFor(status.Text)
	status.Wrapping = fyne.TextWrapWord
	paste := widget.NewEntry()
	paste.SetPlaceHolder("socks5://127.0.0.1:1080")
	grid := container.NewGridWithColumns(2)
	results := widget.NewLabel("")
	results.Alignment = alignFor(lang.L("Testing every route…"))
	results.Wrapping = fyne.TextWrapWord
	choice.SetSelected(options[0])
	if wc.proxy != "" {
		paste.SetText(wc.proxy)
	}

	selected := func() string {
		if p := paste.Text; p != "" {
			return p
		}
		if i := slices.Index(choice.Options, choice.Selected); i > 0 {
			return values[i]
		}
		return ""
	}
	if wc.w.deps.Actions != nil {
		wc.w.bg.Go(func() {
			found := wc.w.deps.Actions.FindProxies(wc.ctx)
			wc.w.do(func() {
				if len(found) == 0 {
					status.Alignment = alignFor(lang.L("Testing every route…"))
					status.SetText(lang.L("No proxy found on this computer. If you use one (Tor, Psiphon, ssh -D, Shadowsocks, V2Ray), start it and paste its address below, or go on with Automatic."))
					return
				}
				status.Alignment = alignFor(lang.L("Testing every route…"))
				status.SetText(lang.L("Found on this computer; choose one, or paste another address below:"))
				for _, f := range found {
					label := f.Tool + ": " + f.URL
					if f.NeedsPassword {
						label += " " + lang.L("(asks for a password: paste it as socks5://user:password@…)")
					}
					choice.Options = append(choice.Options, label)
					values = append(values, f.URL)
				}
				// The reader runs it for a reason: offer it first.
				if paste.Text == "" && !found[0].NeedsPassword {
					choice.SetSelected(choice.Options[1])
				}
				choice.Refresh()
			})
		})
	}

	// apply keeps the choice in the settings, as the settings dialog does;
	// a refusal (a mistyped address) is said under the address, in plain
	// words, and the reader can correct it.
	var test *widget.Button
	refused := func(err error) {
		results.SetText(friendly(err) + "\n" + err.Error())
		test.Enable()
	}
	apply := func(then func()) {
		proxy := selected()
		cs := wc.w.deps.Settings
		if cs == nil {
			then()
			return
		}
		wc.w.bg.Go(func() {
			conn, err := cs.Connection(context.Background())
			if err == nil {
				conn.Mode = "auto"
				conn.Proxies = nil
				if proxy != "" {
					conn.Proxies = []string{proxy}
				}
				err = cs.SetConnection(context.Background(), conn)
			}
			wc.w.do(func() {
				if err != nil {
					refused(err)
					return
				}
				wc.proxy = proxy
				then()
			})
		})
	}
	test = widget.NewButton(lang.L("Test"), nil)
	if wc.w.deps.Settings == nil {
		test.Hide()
	}
	test.OnTapped = func() {
		test.Disable()
		results.SetText(lang.L("Testing every route…"))
		showChecks(grid, nil)
		apply(func() {
			target := wc.testTarget()
			wc.w.bg.Go(func() {
				checks, err := wc.w.deps.Settings.TestConnection(context.Background(), target)
				wc.w.do(func() {
					if err != nil {
						refused(err)
						return
					}
					test.Enable()
					results.SetText("")
					showChecks(grid, checks)
				})
			})
		})
	}
	back := widget.NewButton(lang.L("Back"), wc.languageStep)
	next := widget.NewButton(lang.L("Next"), func() { apply(wc.sourcesStep) })
	next.Importance = widget.HighImportance
	body := container.NewVBox(status, choice, paste, container.NewHBox(test), results, grid)
	wc.page(lang.L("How do you connect?"),
		lang.L("If you run Tor, Psiphon, an SSH tunnel or another tool that gives you a proxy, Kabootar can fetch through it. You can change this later in Settings."),
		container.NewVScroll(body), back, next)
}

// testTarget is what the connection test fetches: the first feed offered
// in the reader's language.
func (wc *welcome) testTarget() string {
	for _, s := range feeds.StartersFor(wc.w.deps.Options.FirstRun.Starters, wc.language) {
		if s.Kind == cache.KindFeed {
			return s.URL
		}
	}
	if len(wc.w.deps.Options.FirstRun.Starters) > 0 {
		return wc.w.deps.Options.FirstRun.Starters[0].URL
	}
	return ""
}

func (wc *welcome) sourcesStep() {
	starters := wc.w.deps.Options.FirstRun.Starters
	langs := []string{wc.language}
	for _, l := range feeds.StarterLanguages {
		if l != wc.language {
			langs = append(langs, l)
		}
	}
	var checks []*widget.Check
	var chosen []feeds.Starter
	list := container.NewVBox()
	for _, l := range langs {
		group := feeds.StartersFor(starters, l)
		if len(group) == 0 {
			continue
		}
		heading := widget.NewLabelWithStyle(languageName(l), alignFor(languageName(l)), fyne.TextStyle{Bold: true})
		list.Add(heading)
		for _, s := range group {
			// The list's names say which are channels ("… on Telegram"):
			// a suffix in another script would misorder a Persian name.
			c := widget.NewCheck(s.Name, nil)
			c.SetChecked(l == wc.language)
			checks = append(checks, c)
			chosen = append(chosen, s)
			list.Add(c)
		}
	}
	back := widget.NewButton(lang.L("Back"), wc.connectionStep)
	start := widget.NewButton(lang.L("Start reading"), nil)
	start.Importance = widget.HighImportance
	start.OnTapped = func() {
		start.Disable()
		var picked []feeds.Starter
		for i, c := range checks {
			if c.Checked {
				picked = append(picked, chosen[i])
			}
		}
		wc.w.bg.Go(func() {
			var err error
			if wc.w.deps.Actions != nil && len(picked) > 0 {
				_, err = wc.w.deps.Actions.AddStarters(context.Background(), picked)
			}
			wc.w.do(func() {
				if err != nil {
					start.Enable()
					wc.w.showError(err)
					return
				}
				wc.finish(len(picked) > 0)
			})
		})
	}
	note := lang.L("The addresses come from the outlets' public pages and may change. You can add and remove sources at any time.")
	wc.page(lang.L("Choose your first sources"), note, container.NewVScroll(list), back, start)
}

// finish leaves the welcome for the main window, in the chosen language,
// and starts the first refresh.
func (wc *welcome) finish(refresh bool) {
	w := wc.w
	w.deps.Options.FirstRun = nil
	if w.deps.Actions != nil {
		w.bg.Go(func() {
			if err := w.deps.Actions.Welcomed(context.Background()); err != nil {
				w.do(func() { w.showError(err) })
			}
		})
	}
	w.build() // the strings of the chosen language
	w.startMain(wc.ctx)
	if refresh {
		w.firstRefresh = true
		w.startRefresh()
	}
}

func languageName(code string) string {
	switch code {
	case "fa":
		return "فارسی"
	case "en":
		return "English"
	}
	return code
}

// nothingCame says in plain words that no news has come through at all,
// and what the reader can do: a proxy, or news saved by someone else.
func (w *Window) nothingCame(results []feeds.Result) {
	offline := feeds.Offline(results)
	msg := lang.L("No news came through. These sites may be blocked on your network.")
	if offline {
		msg = lang.L("No news came through: this computer seems to have no connection to the internet.")
	}
	msg += "\n\n" + lang.L("To get through, start a proxy tool (Tor, Psiphon, ssh -D, Shadowsocks) and add its address in Settings → Connection. If someone gave you a file of saved news, import it.")
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = alignFor(msg)
	var d dialog.Dialog
	buttons := container.NewHBox(layout.NewSpacer(), widget.NewButton(lang.L("Connection settings"), func() {
		d.Hide()
		w.showSettings()
	}))
	if w.deps.Actions != nil {
		buttons.Add(widget.NewButton(lang.L("Import saved news…"), func() {
			d.Hide()
			w.importBundle()
		}))
	}
	d = dialog.NewCustom(lang.L("Nothing came through"), lang.L("Close"),
		container.NewVBox(text, buttons), w.win)
	d.Resize(fyne.NewSize(520, 260))
	w.showDialog(d, d.Hide)
}
