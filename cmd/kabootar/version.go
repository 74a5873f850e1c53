package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// versionLine says which build this is, for bug reports: the release
// (set by make from FyneApp.toml), the commit Go stamped into the binary
// from git, and the Go toolchain and platform.
func versionLine(info *debug.BuildInfo, ok bool) string {
	commit := "unknown"
	goVersion := runtime.Version()
	if ok {
		goVersion = info.GoVersion
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
				if len(commit) > 12 {
					commit = commit[:12]
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit != "unknown" {
			commit += "+changes"
		}
	}
	return fmt.Sprintf("kabootar %s (commit %s, %s, %s/%s)", version, commit, goVersion, runtime.GOOS, runtime.GOARCH)
}
