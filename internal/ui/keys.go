package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// showHelp lists the keyboard shortcuts.
func (w *Window) showHelp() {
	keys := [][2]string{{"j / k", "Next / previous article"}, {"space", "Page down, then the next article"}, {"m", "Read / unread"},
		{"s", "Star"}, {"r, F5", "Refresh"}, {"/, Ctrl+F", "Search"}, {"o", "Open original"}, {"Ctrl+,", "Settings"}, {"?", "This help"},
		{"Esc / Enter", "Close / confirm a dialog"}, {"Ctrl+Q", "Quit"}}
	grid := container.NewGridWithColumns(2)
	for _, k := range keys {
		grid.Add(widget.NewLabelWithStyle(k[0], fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}))
		grid.Add(textLabel(lang.L(k[1])))
	}
	// The marks of the sources list.
	marks := [][2]string{{"✓", lang.L("Came directly, up to date")}, {"↪", lang.L("Came through this proxy")},
		{"⇄", lang.L("Came from this mirror or bridge")}, {"⚠", lang.L("Blocked: choose the source to see why")},
		{"·", lang.L("Not updated lately")}}
	for _, m := range marks {
		grid.Add(widget.NewLabel(m[0]))
		grid.Add(widget.NewLabel(m[1]))
	}
	d := dialog.NewCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), grid, w.win)
	w.showDialog(d, d.Hide)
}

// bindKeys sets the keyboard shortcuts (showHelp lists them).
func (w *Window) bindKeys() {
	c := w.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.showSettings() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { c.Focus(w.search) })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.app.Quit() })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		switch k.Name {
		case fyne.KeyEscape:
			w.closeDialog()
		case fyne.KeyReturn, fyne.KeyEnter:
			w.confirmDialog()
		case fyne.KeyF5:
			if len(w.dialogs) == 0 {
				w.refreshOrCancel()
			}
		}
	})
	w.win.Canvas().SetOnTypedRune(func(r rune) {
		if w.win.Canvas().Focused() != nil {
			return // typing in the search box
		}
		switch r {
		case ' ':
			w.page()
		case 'j':
			w.move(1)
		case 'k':
			w.move(-1)
		case 'm':
			w.toggleRead()
		case 's':
			w.toggleStar()
		case 'r':
			w.refreshOrCancel()
		case '/':
			w.win.Canvas().Focus(w.search)
		case 'o':
			w.openOriginal()
		case '?':
			w.showHelp()
		}
	})
}
