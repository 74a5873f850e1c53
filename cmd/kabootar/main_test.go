package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestMain lets a test run this test binary as the program itself, with an
// environment of its own (KABOOTAR_AS_MAIN=1): package initialisation, which
// a call of run cannot show, included.
func TestMain(m *testing.M) {
	if os.Getenv("KABOOTAR_AS_MAIN") == "1" {
		os.Args = append(os.Args[:1], os.Args[2:]...) // drop the -test.run=^$ guard
		main()
	}
	os.Exit(m.Run())
}

// Under a C or POSIX locale (cron, ssh, containers) the command line
// prints only what it means to say: none of Fyne's locale errors.
func TestCLocalePrintsNothingElse(t *testing.T) {
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C"}, {"LC_ALL=POSIX"}, {"LC_ALL=C.utf8", "LANG=en_US.UTF-8"}} {
		for _, args := range [][]string{{"--data", t.TempDir(), "sources", "list"}, {"--version"}} {
			cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
			cmd.Env = append([]string{"KABOOTAR_AS_MAIN=1", "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil || stderr.Len() > 0 || stdout.Len() == 0 {
				t.Errorf("%v kabootar %v: %v\nstdout %q\nstderr %q", env, args, err, stdout.String(), stderr.String())
			}
		}
	}
}
