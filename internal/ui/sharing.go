package ui

import (
	"context"
	"image"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/keys"
)

// Sharing is what Settings → Sharing and the accept prompt use (an
// *app.App is one): the shared folder, the reader's key, the keys trusted.
type Sharing interface {
	ShareStatus(ctx context.Context) (app.ShareStatus, error)
	SetShare(ctx context.Context, dir string, keepDays, maxMB int) (app.Share, error)
	Identity() (*keys.Identity, error)
	TrustedKeys(ctx context.Context) ([]cache.TrustedKey, error)
	Trust(ctx context.Context, keyOrFile, name string) (keys.PublicKey, error)
	Untrust(ctx context.Context, fingerprint string) (cache.TrustedKey, error)
	// ShareRound reads the folder (and writes to it when send is set).
	ShareRound(ctx context.Context, send bool) app.ShareReport
	// AcceptShared imports a bundle of the folder that waits for the reader.
	AcceptShared(ctx context.Context, path string, o app.ImportOptions) (cache.BundleStats, error)
}

// sharingState is what the Sharing tab shows, read in the background.
type sharingState struct {
	status  app.ShareStatus
	key     keys.PublicKey
	trusted []cache.TrustedKey
}

func loadSharing(ctx context.Context, s Sharing) (*sharingState, error) {
	st, err := s.ShareStatus(ctx)
	if err != nil {
		return nil, err
	}
	id, err := s.Identity()
	if err != nil {
		return nil, err
	}
	trusted, err := s.TrustedKeys(ctx)
	if err != nil {
		return nil, err
	}
	return &sharingState{status: st, key: id.Public(), trusted: trusted}, nil
}

// fingerprintText is a fingerprint in the window's digits.
func (w *Window) fingerprintText(k keys.PublicKey) string {
	if w.persian {
		return persianDigits(k.Fingerprint())
	}
	return k.Fingerprint()
}

// qrImage is a QR code of s (a key, for a phone's camera), or nil.
func qrImage(s string) image.Image {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return nil
	}
	q.DisableBorder = false
	return q.Image(256)
}

// sharingTab is Settings → Sharing: the folder (kept by the dialog's
// Save), the reader's fingerprint and key, the keys trusted (changed at
// once), what was sent and received, and bundles waiting.
func (w *Window) sharingTab(sh *sharingState) (fyne.CanvasObject, *dialogEntry) {
	folder := w.newEntry(false)
	folder.SetPlaceHolder(lang.L("A folder: a USB stick, a shared drive, a Syncthing folder"))
	folder.SetText(sh.status.Dir)
	choose := widget.NewButton(lang.L("Choose…"), func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				folder.SetText(u.Path())
			}
		}, w.win)
	})
	fp := widget.NewLabelWithStyle(w.fingerprintText(sh.key), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})
	box := container.NewVBox(
		textLabel(lang.L("share.hint")),
		textLabel(lang.L("Shared folder (empty: sharing off)")),
		w.row(folder, choose),
		widget.NewSeparator(),
		textLabel(lang.L("Your fingerprint: read it aloud to a friend, who compares it with what their Kabootar shows.")),
		fp)
	if img := qrImage(sh.key.String()); img != nil {
		qr := canvas.NewImageFromImage(img)
		qr.FillMode = canvas.ImageFillContain
		qr.SetMinSize(fyne.NewSize(160, 160))
		box.Add(container.NewCenter(qr))
	}
	box.Add(container.NewCenter(widget.NewButtonWithIcon(lang.L("Copy your key"), theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(sh.key.String())
	})))
	box.Add(widget.NewSeparator())
	box.Add(textLabel(lang.L("Trusted keys: their bundles are imported without asking")))
	trusted := container.NewVBox()
	var fill func()
	fill = func() {
		trusted.Objects = nil
		if len(sh.trusted) == 0 {
			trusted.Add(textLabel(lang.L("None yet.")))
		}
		for _, k := range sh.trusted {
			k := k
			name := widget.NewLabel(visualRTL(k.Name))
			remove := widget.NewButtonWithIcon(lang.L("Remove"), theme.DeleteIcon(), func() {
				w.bg.Go(func() {
					_, err := w.deps.Sharing.Untrust(context.Background(), k.Key.Fingerprint())
					list, lerr := w.deps.Sharing.TrustedKeys(context.Background())
					w.do(func() {
						if err == nil {
							err = lerr
						}
						if err != nil {
							w.showError(err)
							return
						}
						sh.trusted = list
						fill()
					})
				})
			})
			trusted.Add(w.row(name, widget.NewLabelWithStyle(w.fingerprintText(k.Key), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}), remove))
		}
		trusted.Refresh()
	}
	fill()
	box.Add(trusted)
	box.Add(widget.NewButtonWithIcon(lang.L("Trust a key…"), theme.ContentAddIcon(), func() {
		w.trustDialog(func(list []cache.TrustedKey) { sh.trusted = list; fill() })
	}))
	box.Add(widget.NewSeparator())
	if sh.status.Dir != "" {
		sent := lang.L("Nothing sent yet: the next refresh writes your first bundle.")
		if !sh.status.LastSent.At.IsZero() {
			sent = lang.L("Last sent: {{.Count}} articles, {{.Time}}", map[string]string{"Count": numberText(sh.status.LastSent.Articles, w.persian),
				"Time": dateText(sh.status.LastSent.At.Local(), time.Now(), w.persian)})
		}
		box.Add(textLabel(sent))
		got := lang.L("Nothing received yet.")
		for _, f := range sh.status.Files {
			if f.State == cache.ShareImported {
				got = lang.L("Last received: {{.Count}} articles from {{.Who}}, {{.Time}}", map[string]string{"Count": numberText(f.Articles, w.persian),
					"Who": w.signerName(sh.trusted, f.Signer), "Time": dateText(f.At.Local(), time.Now(), w.persian)})
				break
			}
		}
		box.Add(textLabel(got))
		for _, f := range sh.status.Files {
			if f.State != cache.ShareUntrusted {
				continue
			}
			f := f
			box.Add(w.row(textLabel(lang.L("Waiting: {{.Count}} articles signed by {{.Who}}", map[string]string{"Count": numberText(f.Articles, w.persian),
				"Who": w.signerName(sh.trusted, f.Signer)})),
				widget.NewButton(lang.L("Review…"), func() { w.promptShared(f) })))
		}
	}
	return box, folder
}

// row lays objects out in the reading order.
func (w *Window) row(objs ...fyne.CanvasObject) *fyne.Container {
	if w.persian {
		for i, j := 0, len(objs)-1; i < j; i, j = i+1, j-1 {
			objs[i], objs[j] = objs[j], objs[i]
		}
		return container.NewBorder(nil, nil, container.NewHBox(objs[:len(objs)-1]...), nil, objs[len(objs)-1])
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(objs[1:]...), objs[0])
}

// signerName is what the reader calls a key: its name when trusted, else
// its fingerprint.
func (w *Window) signerName(trusted []cache.TrustedKey, k keys.PublicKey) string {
	if k == nil {
		return lang.L("nobody (not signed)")
	}
	for _, t := range trusted {
		if t.Key.Equal(k) && t.Name != "" {
			return t.Name
		}
	}
	return w.fingerprintText(k)
}

// trustDialog asks for a key (pasted) and a name, and trusts it; done is
// given the keys trusted after.
func (w *Window) trustDialog(done func([]cache.TrustedKey)) {
	key := w.newEntry(true)
	key.SetPlaceHolder("kabootar-key:…")
	key.SetMinRowsVisible(2)
	name := w.newEntry(false)
	name.SetPlaceHolder(lang.L("Their name, as you call them"))
	w.showForm(lang.L("Trust a key…"), lang.L("Trust"), lang.L("Cancel"), []*widget.FormItem{
		widget.NewFormItem(lang.L("Key"), key), widget.NewFormItem(lang.L("Name"), name)}, func(ok bool) {
		if !ok {
			return
		}
		w.bg.Go(func() {
			_, err := w.deps.Sharing.Trust(context.Background(), key.Text, name.Text)
			list, lerr := w.deps.Sharing.TrustedKeys(context.Background())
			w.do(func() {
				if err == nil {
					err = lerr
				}
				if err != nil {
					w.showError(err)
					return
				}
				done(list)
			})
		})
	}, key, name)
}

// acceptPrompt shows who signed a bundle the reader has not trusted, and
// what it holds, and asks: trust them and import, import once, or not.
func (w *Window) acceptPrompt(signer keys.PublicKey, articles int, sources []string, made time.Time, choose func(app.ImportOptions)) {
	box := container.NewVBox()
	name := w.newEntry(false)
	if signer == nil {
		box.Add(messageLabel(lang.L("This file of saved news is not signed: an older Kabootar made it, or anyone did. Import it only if you know where it came from.")))
	} else {
		box.Add(messageLabel(lang.L("This saved news is signed by a key you do not trust yet. Its fingerprint:")))
		box.Add(widget.NewLabelWithStyle(w.fingerprintText(signer), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true}))
		box.Add(messageLabel(lang.L("Compare it with the person who made it (in person or by phone). If it matches, trust them: their next bundles come in by themselves.")))
		name.SetPlaceHolder(lang.L("Their name, as you call them"))
		box.Add(name)
	}
	what := lang.L("It holds {{.Count}} articles.", map[string]string{"Count": numberText(articles, w.persian)})
	if !made.IsZero() {
		what = lang.L("It holds {{.Count}} articles, made {{.Time}}.", map[string]string{"Count": numberText(articles, w.persian),
			"Time": fullDate(made.Local(), w.persian)})
	}
	box.Add(messageLabel(what))
	if len(sources) > 0 {
		list := sources
		if len(list) > 5 {
			list = list[:5]
		}
		for _, s := range list {
			box.Add(textLabel("• " + visualRTL(s)))
		}
	}
	d := dialog.NewCustomWithoutButtons(lang.L("Saved news from someone"), box, w.win)
	once := widget.NewButton(lang.L("Import once"), func() { d.Hide(); choose(app.ImportOptions{Accept: true}) })
	cancel := widget.NewButtonWithIcon(lang.L("Not now"), theme.CancelIcon(), d.Hide)
	buttons := []fyne.CanvasObject{cancel, once}
	if signer != nil {
		trust := widget.NewButtonWithIcon(lang.L("Trust and import"), theme.ConfirmIcon(), func() {
			d.Hide()
			choose(app.ImportOptions{Trust: true, Name: name.Text})
		})
		trust.Importance = widget.HighImportance
		buttons = append(buttons, trust)
	}
	if w.persian {
		for i, j := 0, len(buttons)-1; i < j; i, j = i+1, j-1 {
			buttons[i], buttons[j] = buttons[j], buttons[i]
		}
	}
	d.SetButtons(buttons)
	w.showDialog(d, nil)
}

// promptShared asks about a bundle of the shared folder that waits.
func (w *Window) promptShared(f cache.ShareFile) {
	w.acceptPrompt(f.Signer, f.Articles, []string{filepath.Base(f.Path)}, time.Time{}, func(o app.ImportOptions) {
		w.bg.Go(func() {
			st, err := w.deps.Sharing.AcceptShared(context.Background(), f.Path, o)
			w.do(func() {
				if err != nil {
					w.showError(err)
					return
				}
				w.setBadge(lang.L("{{.Count}} articles arrived from the shared folder", map[string]string{"Count": numberText(st.Articles, w.persian)}), "")
				w.reloadSources()
				w.reloadArticles()
			})
		})
	})
}

// watchShare reads the shared folder every so often while the window is
// open: a friend's bundle that Syncthing brings shows without a refresh.
func (w *Window) watchShare(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.shareArrived(w.deps.Sharing.ShareRound(ctx, false))
	}
}

// shareArrived shows what a round in the shared folder brought: the news
// at once, and a prompt for the first bundle waiting that was not asked
// about yet (once a session).
func (w *Window) shareArrived(rep app.ShareReport) {
	if rep.Articles == 0 && len(rep.Waiting) == 0 {
		return
	}
	w.do(func() {
		if rep.Articles > 0 {
			w.setBadge(lang.L("{{.Count}} articles arrived from the shared folder", map[string]string{"Count": numberText(rep.Articles, w.persian)}), "")
			w.reloadSources()
			w.reloadArticles()
		}
		for _, f := range rep.Waiting {
			if !w.asked[f.Path] {
				w.asked[f.Path] = true
				w.promptShared(f)
				break
			}
		}
	})
}

// provenanceText says where an article came from when not fetched here:
// "via Sara's bundle, signed …".
func (w *Window) provenanceText(p cache.Provenance) string {
	if !p.Bundle {
		return ""
	}
	when := fullDate(p.Signed.Local(), w.persian)
	switch {
	case p.Signer == nil:
		return lang.L("From an unsigned bundle, made {{.Time}}", map[string]string{"Time": when})
	case p.Name != "":
		return lang.L("Via {{.Who}}'s bundle, signed {{.Time}}", map[string]string{"Who": p.Name, "Time": when})
	}
	return lang.L("Via a bundle signed by {{.Who}}, {{.Time}}", map[string]string{"Who": w.fingerprintText(p.Signer), "Time": when})
}
