package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

// fakeSharing keeps the folder and trusted keys in memory.
type fakeSharing struct {
	mu       sync.Mutex
	id       *keys.Identity
	dir      string
	trusted  []cache.TrustedKey
	files    []cache.ShareFile
	accepted []app.ImportOptions
	setDirs  []string
	// statusErr is what ShareStatus fails with (a bad stored setting).
	statusErr error
}

func newFakeSharing(t *testing.T) *fakeSharing {
	id, err := keys.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &fakeSharing{id: id}
}

func (f *fakeSharing) ShareStatus(context.Context) (app.ShareStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return app.ShareStatus{Share: app.Share{Dir: f.dir, KeepDays: 30, MaxMB: 200}, Files: f.files}, f.statusErr
}
func (f *fakeSharing) SetShare(_ context.Context, dir string, _, _ int) (app.Share, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dir = dir
	f.setDirs = append(f.setDirs, dir)
	return app.Share{Dir: dir}, nil
}
func (f *fakeSharing) Identity() (*keys.Identity, error) { return f.id, nil }
func (f *fakeSharing) TrustedKeys(context.Context) ([]cache.TrustedKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cache.TrustedKey(nil), f.trusted...), nil
}
func (f *fakeSharing) Trust(_ context.Context, s, name string) (keys.PublicKey, error) {
	k, err := keys.ParsePublicKey(s)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trusted = append(f.trusted, cache.TrustedKey{Key: k, Name: name})
	return k, nil
}
func (f *fakeSharing) Untrust(_ context.Context, fp string) (cache.TrustedKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range f.trusted {
		if k.Key.Fingerprint() == fp {
			f.trusted = append(f.trusted[:i], f.trusted[i+1:]...)
			return k, nil
		}
	}
	return cache.TrustedKey{}, cache.ErrNotFound
}
func (f *fakeSharing) ShareRound(context.Context, bool) app.ShareReport { return app.ShareReport{} }
func (f *fakeSharing) AcceptShared(_ context.Context, _ string, o app.ImportOptions) (cache.BundleStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accepted = append(f.accepted, o)
	return cache.BundleStats{Articles: 4}, nil
}

func friendKey(t *testing.T) keys.PublicKey {
	id, err := keys.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return id.Public()
}

// overlayObjects are the widgets of the top dialog.
func overlayObjects(w *Window) []fyne.CanvasObject {
	return test.LaidOutObjects(w.win.Canvas().Overlays().Top())
}

func labelsOf(objs []fyne.CanvasObject) string {
	var b strings.Builder
	for _, o := range objs {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "|")
		}
	}
	return b.String()
}

func button(objs []fyne.CanvasObject, text string) *widget.Button {
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

// Settings > Sharing: the reader's fingerprint, the keys trusted (one
// removed at once), and the folder kept by Save.
func TestSharingTab(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	sh := newFakeSharing(t)
	friend := friendKey(t)
	sh.trusted = []cache.TrustedKey{{Key: friend, Name: "Sara"}}
	sh.dir = "/media/usb"
	sh.files = []cache.ShareFile{{Path: "/media/usb/kabootar-x.zip", State: cache.ShareUntrusted, Signer: friendKey(t), Articles: 9}}
	fc := &fakeConnection{conn: Connection{Mode: "auto"}}
	w := New(a, Deps{Library: st, Settings: &fakeSettings{conn: fc}, Sharing: sh})
	t.Cleanup(w.Wait)
	state, err := loadSharing(context.Background(), sh)
	if err != nil {
		t.Fatal(err)
	}
	var f *settingsForm
	locked(w, func() {
		f = w.settingsDialog(fc, fc.conn, Storage{}, state)
		last := len(f.tabs.Items) - 1
		if f.tabs.Items[last].Text != "Sharing" {
			t.Fatalf("tabs: %d, the last %q", len(f.tabs.Items), f.tabs.Items[last].Text)
		}
		f.tabs.SelectIndex(last)
		tab := test.LaidOutObjects(f.tabs.Items[last].Content)
		got := labelsOf(tab)
		for _, want := range []string{sh.id.Public().Fingerprint(), "Sara", friend.Fingerprint(), "Waiting: 9 articles signed by"} {
			if !strings.Contains(got, want) {
				t.Errorf("the Sharing tab lacks %q: %s", want, got)
			}
		}
		var qr bool
		for _, o := range tab {
			if img, ok := o.(*canvas.Image); ok && img.Image != nil {
				qr = true
			}
		}
		if !qr {
			t.Error("no QR code of the key")
		}
		test.Tap(button(tab, "Remove"))
	})
	eventually(t, w, "the key removed", func() bool { sh.mu.Lock(); defer sh.mu.Unlock(); return len(sh.trusted) == 0 })
	locked(w, func() {
		f.folder.SetText("/media/other")
		f.save()
	})
	eventually(t, w, "the folder saved", func() bool { sh.mu.Lock(); defer sh.mu.Unlock(); return sh.dir == "/media/other" })
}

// The accept prompt: a signed bundle offers trust (with the name typed)
// or once; an unsigned one only once; Persian shows the fingerprint in
// Persian digits.
func TestAcceptPrompt(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	friend := friendKey(t)
	var chosen []app.ImportOptions
	locked(w, func() {
		w.acceptPrompt(friend, 12, []string{"BBC Persian"}, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), func(o app.ImportOptions) { chosen = append(chosen, o) })
		objs := overlayObjects(w)
		if got := labelsOf(objs); !strings.Contains(got, friend.Fingerprint()) || !strings.Contains(got, "12 articles") || !strings.Contains(got, "BBC Persian") {
			t.Errorf("the prompt says %s", got)
		}
		for _, o := range objs {
			if e, ok := o.(*dialogEntry); ok {
				e.SetText("Sara")
			}
		}
		test.Tap(button(objs, "Trust and import"))
		w.acceptPrompt(nil, 3, nil, time.Time{}, func(o app.ImportOptions) { chosen = append(chosen, o) })
		objs = overlayObjects(w)
		if button(objs, "Trust and import") != nil {
			t.Error("an unsigned bundle offers trust")
		}
		test.Tap(button(objs, "Import once"))
	})
	if len(chosen) != 2 || chosen[0] != (app.ImportOptions{Trust: true, Name: "Sara"}) || chosen[1] != (app.ImportOptions{Accept: true}) {
		t.Errorf("chosen %+v", chosen)
	}
	w.persian = true
	if got := w.fingerprintText(friend); got != persianDigits(friend.Fingerprint()) || strings.ContainsAny(got, "0123456789") {
		t.Errorf("Persian fingerprint %q", got)
	}
}

// A bundle waiting in the folder is asked about once a session; what
// arrives is shown at once.
func TestShareArrived(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	sh := newFakeSharing(t)
	w := New(a, Deps{Library: st, Sharing: sh})
	t.Cleanup(w.Wait)
	waiting := cache.ShareFile{Path: "/s/kabootar-1.zip", State: cache.ShareUntrusted, Signer: friendKey(t), Articles: 4}
	w.shareArrived(app.ShareReport{Articles: 7, Waiting: []cache.ShareFile{waiting}})
	var dialogs int
	locked(w, func() {
		dialogs = len(w.dialogs)
		if !strings.Contains(w.badge.Text, "7") {
			t.Errorf("badge %q", w.badge.Text)
		}
		test.Tap(button(overlayObjects(w), "Import once"))
	})
	if dialogs != 1 {
		t.Fatalf("%d dialogs, want the prompt", dialogs)
	}
	eventually(t, w, "the bundle accepted", func() bool { sh.mu.Lock(); defer sh.mu.Unlock(); return len(sh.accepted) == 1 })
	w.shareArrived(app.ShareReport{Waiting: []cache.ShareFile{waiting}})
	locked(w, func() {
		if len(w.dialogs) != 0 {
			t.Error("asked twice about one bundle")
		}
	})
}

func TestProvenanceText(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	w := New(a, Deps{Library: st})
	t.Cleanup(w.Wait)
	k := friendKey(t)
	signed := time.Date(2026, 11, 30, 8, 0, 0, 0, time.Local)
	for _, c := range []struct {
		p    cache.Provenance
		want string
	}{
		{cache.Provenance{}, ""},
		{cache.Provenance{Bundle: true, Signer: k, Name: "Sara", Signed: signed}, "Via Sara's bundle, signed"},
		{cache.Provenance{Bundle: true, Signer: k, Signed: signed}, k.Fingerprint()},
		{cache.Provenance{Bundle: true, Signed: signed}, "unsigned"},
	} {
		if got := w.provenanceText(c.p); (c.want == "" && got != "") || !strings.Contains(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}

// Sharing that cannot be read leaves its tab out and says why; the other
// settings still open, since they may be how it is fixed.
func TestSettingsOpenWhenSharingFails(t *testing.T) {
	a := test.NewTempApp(t)
	LoadTranslations()
	st, _ := testStore(t)
	sh := newFakeSharing(t)
	sh.statusErr = fmt.Errorf("%w: the shared folder %q must be a full path", app.ErrSettings, "rel")
	w := New(a, Deps{Library: st, Settings: &fakeSettings{}, Sharing: sh})
	t.Cleanup(w.Wait)
	locked(w, func() { w.showSettings() })
	eventually(t, w, "the settings and the error", func() bool { return len(w.dialogs) == 2 })
	locked(w, func() {
		if got := labelsOf(overlayObjects(w)); !strings.Contains(got, "must be a full path") {
			t.Errorf("the error says %s", got)
		}
	})
}
