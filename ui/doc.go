// Package ui will hold Kabootar's Fyne window: panes, dialogs, theme,
// fonts and translations. It reads from the cache and is told of changes by
// the refresher; it never waits on the network or the disk. It is built by
// the window issue; until then `kabootar` with no command prints its help.
package ui
