// Command kabootar is Kabootar: the window, and the command line that
// scripts and tests use on the same data.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Before Fyne reads the locale: a C locale must not print Fyne's errors.
	_ "github.com/kabootar/kabootar/internal/localeenv"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	attachConsole()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
