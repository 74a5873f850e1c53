package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/tor"
)

// Kabootar's own Tor in the connection settings: when it runs, and its
// bridges. Without the tor program, the settings say what to install
// instead of offering a switch that would do nothing.

var torModes = []string{app.TorAuto, app.TorAlways, app.TorOff}

func torModeLabel(m string) string {
	switch m {
	case app.TorAlways:
		return lang.L("Always (slower, works almost everywhere)")
	case app.TorOff:
		return lang.L("Never")
	}
	return lang.L("When nothing else works")
}

// The bridge choices; the last is the reader's own lines.
var torBridgeChoices = [][]string{{"snowflake", "obfs4"}, {"snowflake"}, {"obfs4"}, {"none"}, nil}

func torBridgeLabel(i int) string {
	return []string{lang.L("Built-in bridges (Snowflake and obfs4)"), "Snowflake", "obfs4",
		lang.L("No bridges (where Tor itself is not blocked)"), lang.L("My own bridges, pasted below")}[i]
}

// torSettings adds the Tor controls to box; nil when tor is missing.
func (w *Window) torSettings(box *fyne.Container, conn Connection) (*widget.Select, *widget.Select, *dialogEntry) {
	box.Add(textLabel(lang.L("Use Tor (slower, works almost everywhere)")))
	if !conn.TorInstalled {
		box.Add(textLabel(lang.L("tor.missing") + "\n" + tor.Install))
		return nil, nil, nil
	}
	var modeLabels []string
	// Ordered for Fyne, which lays a line's runs left to right: a Persian
	// label with Latin names in it reads right otherwise wrong.
	for _, m := range torModes {
		modeLabels = append(modeLabels, visualRTL(torModeLabel(m)))
	}
	modeSel := widget.NewSelect(modeLabels, nil)
	modeSel.SetSelected(visualRTL(torModeLabel(conn.Tor)))
	var bridgeLabels []string
	for i := range torBridgeChoices {
		bridgeLabels = append(bridgeLabels, visualRTL(torBridgeLabel(i)))
	}
	bridgeSel := widget.NewSelect(bridgeLabels, nil)
	paste := w.newEntry(true)
	paste.SetPlaceHolder("obfs4 192.0.2.1:443 FINGERPRINT cert=… iat-mode=0")
	paste.SetMinRowsVisible(2)
	chosen := len(torBridgeChoices) - 1
	for i, c := range torBridgeChoices[:len(torBridgeChoices)-1] {
		if strings.Join(c, " ") == strings.Join(conn.TorBridges, " ") {
			chosen = i
		}
	}
	if chosen == len(torBridgeChoices)-1 {
		paste.SetText(strings.Join(conn.TorBridges, "\n"))
	}
	bridgeSel.SetSelectedIndex(chosen)
	box.Add(pairs(textLabel(lang.L("When")), modeSel, textLabel(lang.L("Bridges")), bridgeSel))
	box.Add(textLabel(visualRTL(lang.L("Your own bridges, one per line (from bridges.torproject.org or its Telegram bot)"))))
	box.Add(paste)
	return modeSel, bridgeSel, paste
}

// torChoice is what the Tor controls say (nothing when tor is missing).
func torChoice(mode, bridges *widget.Select, paste *dialogEntry) (string, []string) {
	if mode == nil {
		return "", nil
	}
	m := torModes[max(mode.SelectedIndex(), 0)]
	i := max(bridges.SelectedIndex(), 0)
	if i < len(torBridgeChoices)-1 {
		return m, torBridgeChoices[i]
	}
	return m, lines(paste.Text)
}

// watchTor shows Tor's bootstrap in the badge while ctx lasts (a refresh).
func (w *Window) watchTor(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	last := -1
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := w.deps.Actions.TorStatus(ctx)
		if !st.Running || st.Took > 0 || st.Progress.Percent == last {
			continue
		}
		last = st.Progress.Percent
		text := lang.L("Starting Tor… {{.Percent}}%", map[string]string{"Percent": numberText(last, w.persian)})
		w.do(func() {
			if ctx.Err() == nil {
				w.setBadge(text, "")
			}
		})
	}
}
