// Package assets holds what Kabootar ships inside its binary: the icon,
// the Vazirmatn font, the window's translations and the starter sources.
package assets

import "embed"

// Icon is the application icon, 512x512 PNG.
//
//go:embed icon.png
var Icon []byte

// Vazirmatn, by Saber Rastikerdar (SIL Open Font License 1.1, see
// fonts/Vazirmatn-OFL.txt): a Persian font with Latin, so that Persian
// reads well on machines without a Persian font.
var (
	//go:embed fonts/Vazirmatn-Regular.ttf
	FontRegular []byte
	//go:embed fonts/Vazirmatn-Bold.ttf
	FontBold []byte
)

// Lang holds the window's translations, lang/<locale>.json.
//
//go:embed lang/*.json
var Lang embed.FS

// Starter is the list of starter sources, starter.json: data, not code.
//
//go:embed starter.json
var Starter []byte
