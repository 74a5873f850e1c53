// Package localeenv makes a C or POSIX locale (cron, ssh, containers, most
// scripts run under LANG=C.UTF-8) read as English before Fyne's lang
// package starts. Fyne parses the locale in its package initialisation and
// logs "Fyne error: Error parsing user locale C" to stderr for these, so
// every command would begin with three lines it does not mean.
//
// Imported for its side effect, first, by cmd/kabootar. It imports nothing
// but the standard library, so Go initialises it before any package that
// leads to Fyne's lang (packages are initialised in the order of their
// import paths among those whose imports are ready; Fyne's lang waits for
// packages, such as github.com/nicksnyder/go-i18n, that sort after this one).
package localeenv

import (
	"os"
	"strings"
)

func init() { Apply(os.Getenv, os.Setenv) }

// Apply sets LANGUAGE=en when the locale that decides messages is C or
// POSIX (with or without a codeset) and LANGUAGE is unset: Fyne's locale
// lookup then reads English, as it would for a plain C. Nothing else about
// the locale changes.
func Apply(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	for _, key := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(key)
		if v == "" {
			continue
		}
		base, _, _ := strings.Cut(v, ".")
		base, _, _ = strings.Cut(base, "@")
		if base == "C" || base == "POSIX" {
			setenv("LANGUAGE", "en")
		}
		return
	}
}
