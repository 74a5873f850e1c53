package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// friendly says what went wrong in the reader's language and in plain
// words; the technical detail is shown under it, as it is.
func friendly(err error) string {
	switch {
	case errors.Is(err, feeds.ErrBadAddress):
		return lang.L("error.address")
	case errors.Is(err, feeds.ErrNoPreview):
		return lang.L("error.nopreview")
	case errors.Is(err, feeds.ErrChannel):
		return lang.L("error.channel")
	case errors.Is(err, feeds.ErrNotFeed):
		return lang.L("error.notfeed")
	case errors.Is(err, feeds.ErrBadOPML):
		return lang.L("error.opml")
	case errors.Is(err, feeds.ErrBadProxy):
		return lang.L("error.proxy")
	case errors.Is(err, feeds.ErrBadDoH):
		return lang.L("error.doh")
	case errors.Is(err, cache.ErrBadSignature):
		return lang.L("error.signature")
	case errors.Is(err, cache.ErrBadBundle):
		return lang.L("error.bundle")
	case errors.Is(err, app.ErrAlreadyFollowed), errors.Is(err, cache.ErrExists):
		return lang.L("error.exists")
	case errors.Is(err, cache.ErrDiskFull):
		return lang.L("error.diskfull")
	case errors.Is(err, cache.ErrReadOnly), errors.Is(err, cache.ErrNotDatabase):
		return lang.L("error.storage")
	case errors.Is(err, app.ErrStrict):
		return lang.L("error.strict")
	}
	var again *app.AlreadyImportedError
	if errors.As(err, &again) {
		return lang.L("error.again")
	}
	// Before the verdict: it was added all the same, which matters more.
	var ue *app.UnreachableError
	if errors.As(err, &ue) {
		return lang.L("error.unreachable")
	}
	if v := feeds.VerdictOf(err); v != "" {
		return VerdictText(v)
	}
	return lang.L("error.other")
}

func (w *Window) showError(err error) {
	// The detail stays as the program wrote it: it is for a bug report
	// or a search, and says so in the reader's language.
	caption := widget.NewLabel(lang.L("Technical detail (for a bug report):"))
	caption.Alignment = alignFor(caption.Text)
	detail := widget.NewLabel(err.Error())
	detail.Wrapping = fyne.TextWrapWord
	detail.TextStyle = fyne.TextStyle{Italic: true}
	msg := widget.NewLabel(friendly(err))
	msg.Wrapping = fyne.TextWrapWord
	msg.Alignment = alignFor(msg.Text)
	d := dialog.NewCustom(lang.L("Something went wrong"), lang.L("Close"), container.NewVBox(msg, caption, detail), w.win)
	d.Resize(fyne.NewSize(520, 240))
	w.showDialog(d, d.Hide)
}
