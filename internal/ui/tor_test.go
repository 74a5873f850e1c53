package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/feeds"
	"github.com/kabootar/kabootar/internal/tor"
)

// Without tor, the connection settings say what to install; with it, they
// offer when and which bridges, and Save keeps the choice.
func TestTorSettings(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	missing := &fakeConnection{conn: Connection{Mode: "auto", Tor: app.TorAuto, TorBridges: app.DefaultTorBridges}}
	w := New(a, Deps{Library: st, Settings: &fakeSettings{conn: missing}})
	t.Cleanup(w.Wait)
	locked(w, func() {
		f := w.settingsDialog(missing, missing.conn, Storage{}, nil)
		got := labelsOf(test.LaidOutObjects(f.tabs.Items[2].Content))
		if f.tor != nil || !strings.Contains(got, tor.Install) || !strings.Contains(got, "Tor is not installed") {
			t.Errorf("tor missing: %s", got)
		}
	})

	fc := &fakeConnection{conn: Connection{Mode: "auto", Tor: app.TorAuto, TorBridges: []string{"obfs4 192.0.2.1:443 cert=abc"}, TorInstalled: true}}
	w2 := New(a, Deps{Library: st, Settings: &fakeSettings{conn: fc}})
	t.Cleanup(w2.Wait)
	locked(w2, func() {
		f := w2.settingsDialog(fc, fc.conn, Storage{}, nil)
		if f.tor == nil || f.tor.Selected != "When nothing else works" || f.torBridges.SelectedIndex() != len(torBridgeChoices)-1 ||
			f.torLines.Text != "obfs4 192.0.2.1:443 cert=abc" {
			t.Fatalf("the pasted bridge is not shown as such: %v %d %q", f.tor, f.torBridges.SelectedIndex(), f.torLines.Text)
		}
		f.tor.SetSelected("Always (slower, works almost everywhere)")
		f.torBridges.SetSelectedIndex(1) // Snowflake
		f.save()
	})
	eventually(t, w2, "the saved settings", func() bool { return fc.saved != nil })
	if fc.saved.Tor != app.TorAlways || strings.Join(fc.saved.TorBridges, ",") != "snowflake" {
		t.Errorf("saved %+v", fc.saved)
	}
}

// While a refresh waits for Tor, the badge says how far its bootstrap is.
func TestTorBootstrapBadge(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	release := make(chan struct{})
	fa := &fakeActions{
		refresh: func(ctx context.Context, _ func(feeds.Progress)) (app.Report, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return app.Report{}, nil
		},
		torStatus: func() app.TorStatus { return app.TorStatus{Running: true, Progress: tor.Progress{Percent: 45}} },
	}
	w := New(a, Deps{Library: st, Actions: fa})
	t.Cleanup(w.Wait)
	locked(w, func() { w.startRefresh() })
	deadline := time.Now().Add(5 * time.Second)
	var badge string
	for time.Now().Before(deadline) {
		locked(w, func() { badge = w.badge.Text })
		if strings.Contains(badge, "45%") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	if !strings.Contains(badge, "Starting Tor… 45%") {
		t.Errorf("badge %q", badge)
	}
}
