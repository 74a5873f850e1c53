// Package app is Kabootar's use cases: what the command line and the
// window both do (open the data, refresh, add a source, import and export,
// diagnose, find proxies, the first run) and the typed settings they edit
// (settings.go). The front ends present what it returns; they decide no
// rule of their own. Its errors are typed, so that each front end can say
// them in its own words (the window in the reader's language).
package app
