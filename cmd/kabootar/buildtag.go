//go:build !migrated_fynedo

package main

// Kabootar's window changes widgets only through fyne.Do, in Fyne's
// migrated_fynedo threading mode, which is chosen by a build tag: a build
// without it would be another program. So it stops here, and the compiler's
// message says how to build: make build (or go build -tags migrated_fynedo).
const _ = build_Kabootar_with__make_build__or__go_build_tags_migrated_fynedo
