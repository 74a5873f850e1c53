// Package assets holds what Kabootar ships inside its binary: the icon now;
// fonts, default sources and translations as the window and first-run
// issues add them.
package assets

import _ "embed"

// Icon is the application icon, 512x512 PNG.
//
//go:embed icon.png
var Icon []byte
