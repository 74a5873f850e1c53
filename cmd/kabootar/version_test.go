package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want []string
	}{
		{"stamped", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}},
			true, []string{"commit 0123456789ab,", "go1.26.8"}},
		{"local changes", &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			true, []string{"commit abc+changes,"}},
		{"no vcs", &debug.BuildInfo{GoVersion: "go1.26.8"}, true, []string{"commit unknown,"}},
		{"no build info", nil, false, []string{"commit unknown,", runtime.Version()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionLine(tt.info, tt.ok)
			if !strings.HasPrefix(got, "kabootar "+version+" (") {
				t.Errorf("%q does not start with the version", got)
			}
			for _, w := range append(tt.want, runtime.GOOS+"/"+runtime.GOARCH) {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
		})
	}
}
