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
		{"s", "Star"}, {"r", "Refresh"}, {"/", "Search"}, {"o", "Open original"}, {"Ctrl+,", "Settings"}, {"?", "This help"}}
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
	dialog.ShowCustom(lang.L("Keyboard shortcuts"), lang.L("Close"), grid, w.win)
}

// bindKeys sets the keyboard shortcuts (showHelp lists them).
func (w *Window) bindKeys() {
	w.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.showSettings() })
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
