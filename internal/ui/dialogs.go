package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The window keeps its open dialogs, so that Escape closes the top one and
// Enter confirms it where it has a default, as in every desktop app (Fyne's
// dialogs answer neither).

// openDialog is a dialog the window shows, with its default action (nil:
// none; Enter then does nothing).
type openDialog struct {
	d       dialog.Dialog
	confirm func()
}

// showDialog shows d, on top of any other; confirm is what Enter does.
func (w *Window) showDialog(d dialog.Dialog, confirm func()) {
	w.dialogs = append(w.dialogs, openDialog{d: d, confirm: confirm})
	d.SetOnClosed(func() {
		w.dialogs = slices.DeleteFunc(w.dialogs, func(o openDialog) bool { return o.d == d })
	})
	d.Show()
}

// closeDialog closes the top dialog, as its Cancel or Close would; false:
// there was none.
func (w *Window) closeDialog() bool {
	if len(w.dialogs) == 0 {
		return false
	}
	w.dialogs[len(w.dialogs)-1].d.Hide()
	return true
}

// confirmDialog runs the top dialog's default action; false: there is no
// dialog, or it has none.
func (w *Window) confirmDialog() bool {
	if len(w.dialogs) == 0 || w.dialogs[len(w.dialogs)-1].confirm == nil {
		return false
	}
	w.dialogs[len(w.dialogs)-1].confirm()
	return true
}

// dialogEntry is an entry in a dialog: Escape in it closes the dialog
// (a focused entry is given every key, and Fyne's ignores Escape).
type dialogEntry struct {
	widget.Entry
	w *Window
}

func (w *Window) newEntry(multiLine bool) *dialogEntry {
	e := &dialogEntry{w: w}
	e.MultiLine = multiLine
	if multiLine {
		e.Wrapping = fyne.TextWrapWord
	}
	e.ExtendBaseWidget(e)
	return e
}

func (e *dialogEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.w.closeDialog() {
		return
	}
	e.Entry.TypedKey(k)
}

// showForm shows a form with a confirm and a dismiss button in the
// window's reading order: Enter in a one-line entry confirms, Escape
// cancels. callback is told which (as dialog.ShowForm's is).
func (w *Window) showForm(title, confirm, dismiss string, items []*widget.FormItem, callback func(bool), entries ...*dialogEntry) *dialog.CustomDialog {
	d := w.showConfirm(title, confirm, dismiss, widget.NewForm(items...), func() { callback(true) }, true)
	for _, e := range entries {
		if !e.MultiLine {
			e.OnSubmitted = func(string) { w.confirmDialog() }
		}
	}
	return d
}

// showConfirm shows content with a confirm and a dismiss button, in the
// order the window reads: confirm on the right in English (where Fyne
// puts it), on the left in Persian. onConfirm runs once it has closed;
// Enter confirms when enter is set. Escape and dismiss close it and do
// nothing.
func (w *Window) showConfirm(title, confirm, dismiss string, content fyne.CanvasObject, onConfirm func(), enter bool) *dialog.CustomDialog {
	d := dialog.NewCustomWithoutButtons(title, content, w.win)
	ok := widget.NewButtonWithIcon(confirm, theme.ConfirmIcon(), func() {
		d.Hide()
		onConfirm()
	})
	ok.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(dismiss, theme.CancelIcon(), d.Hide)
	buttons := []fyne.CanvasObject{cancel, ok}
	if w.persian {
		buttons = []fyne.CanvasObject{ok, cancel}
	}
	d.SetButtons(buttons)
	var def func()
	if enter {
		def = ok.OnTapped
	}
	w.showDialog(d, def)
	return d
}

// messageLabel is a dialog's message, wrapped, on the side its language
// reads from.
func messageLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = alignFor(text)
	return l
}
