package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// Exit codes, the contract of DESIGN.md.
const (
	exitOK      = 0 // all done
	exitFailed  = 1 // done, with failures; what was cached stays readable
	exitUsage   = 2 // usage or configuration error
	programName = "kabootar"
)

// usageError is a mistake in how kabootar was called.
// It keeps the error it wraps (%w), so that the window can say it in the
// reader's language.
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &usageError{msg: err.Error(), err: errors.Unwrap(err)}
}

// failedError is a command that finished but with failures (exit 1). Its
// details were already printed.
type failedError struct{ msg string }

func (e *failedError) Error() string { return e.msg }

// cli is one run of the command line.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	dataDir        string
	verbose        bool
	openFirst      bool
	refreshAtStart bool
	openSettings   bool
	settingsTab    string
	welcomeStep    int
	log            *slog.Logger
	began          time.Time // when the run started
}

const usage = `Kabootar: a news reader that gets through.

Usage:
  kabootar [--data DIR]                      open the window
  kabootar [--data DIR] sources add URL|@channel|instagram:NAME|x:NAME|telegram:NAME [--name N] [--mirror URL]... [--full-text]
  kabootar [--data DIR] sources add --starter fa|en
  kabootar [--data DIR] sources list [--json]
  kabootar [--data DIR] sources remove ID
  kabootar [--data DIR] refresh [--json]
  kabootar [--data DIR] articles [--source ID] [--search Q] [--unread] [--limit N] [--json]
  kabootar [--data DIR] show ID
  kabootar [--data DIR] opml import FILE | opml export FILE
  kabootar [--data DIR] transport set [--mode auto|direct|proxy] [--proxy URL|off]... [--doh URL|off|default]... [--trust CIDR|off]...
                        [--tactics on|off] [--ech on|off] [--front HOST=FRONT[@ADDR]|off]... [--tor auto|always|off] [--bridge snowflake|obfs4|LINE|none]...
  kabootar [--data DIR] transport show [--json]
  kabootar [--data DIR] transport find [--json]  the proxies Kabootar can see (the system's settings, the usual ports, the environment)
  kabootar [--data DIR] diagnose URL [--json]
  kabootar [--data DIR] bridges list | bridges add URL | bridges remove URL
  kabootar [--data DIR] bundle export FILE [--source ID]... [--days N] [--since last]
  kabootar [--data DIR] bundle import FILE [--accept]
  kabootar [--data DIR] keys show | keys list | keys trust KEY|FILE [--name NAME] | keys untrust FINGERPRINT
  kabootar [--data DIR] share set DIR [--keep-days N] [--max-mb N] | share show [--json] | share off
  kabootar [--data DIR] share syncthing [--syncthing-home DIR] | share syncthing add DEVICE-ID [--address tcp://IP:PORT]
  kabootar [--data DIR] tor status [--json] | tor start | tor stop
  kabootar --version

Options for every command:
  --data DIR   where Kabootar keeps its data (default: $KABOOTAR_DATA, else
               the user data directory)
  --verbose    say more about what is happening, on stderr

Exit codes: 0 all done; 1 done with failures (what was cached stays
readable); 2 usage or configuration error.
`

// run runs the command line and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, getenv: getenv, began: time.Now()}
	err := c.dispatch(ctx, args)
	var ue *usageError
	var fe *failedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kabootar: %v\nRun 'kabootar --help' for usage.\n", err)
		return exitUsage
	case errors.As(err, &fe):
		if fe.msg != "" {
			fmt.Fprintln(stderr, fe.msg)
		}
		return exitFailed
	case isConfigError(err):
		fmt.Fprintf(stderr, "kabootar: %v\n", err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "kabootar: %v\n", err)
		return exitFailed
	}
}

// isConfigError is an error in the setup rather than in this run's work:
// the data directory or the cache file cannot be used.
func isConfigError(err error) bool {
	return errors.Is(err, cache.ErrNotDatabase) || errors.Is(err, cache.ErrReadOnly) ||
		errors.Is(err, cache.ErrTooNew) || errors.Is(err, app.ErrDataDir) || errors.Is(err, app.ErrSettings) ||
		errors.Is(err, feeds.ErrNoBridge)
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	fs := c.flags("kabootar")
	showVersion := fs.Bool("version", false, "print the version")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for developers)")
	fs.BoolVar(&c.openFirst, "open-first", false, "open the newest article when the window starts (for screenshots)")
	fs.BoolVar(&c.refreshAtStart, "refresh-at-start", false, "start a refresh when the window starts (for screenshots)")
	fs.BoolVar(&c.openSettings, "open-settings", false, "open the settings when the window starts (for screenshots)")
	fs.StringVar(&c.settingsTab, "settings-tab", "", "open the settings on this tab when the window starts: reading, connection, tor, storage, sharing (for screenshots)")
	fs.IntVar(&c.welcomeStep, "welcome-step", 0, "on a first run, start the welcome at step 1 (connection) or 2 (sources) (for screenshots)")
	rest, err := parseInterleaved(fs, args, true)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *showVersion {
		fmt.Fprintln(c.stdout, versionLine(debug.ReadBuildInfo()))
		return nil
	}
	c.setupLog()
	if len(rest) == 0 {
		return c.window(ctx)
	}
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "sources":
		return c.sources(ctx, rest)
	case "refresh":
		return c.refresh(ctx, rest)
	case "articles":
		return c.articles(ctx, rest)
	case "show":
		return c.show(ctx, rest)
	case "opml":
		return c.opml(ctx, rest)
	case "transport":
		return c.transport(ctx, rest)
	case "diagnose":
		return c.diagnose(ctx, rest)
	case "bridges":
		return c.bridges(ctx, rest)
	case "bundle":
		return c.bundle(ctx, rest)
	case "keys":
		return c.keys(ctx, rest)
	case "share":
		return c.share(ctx, rest)
	case "tor":
		return c.torCmd(ctx, rest)
	case "help":
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

// flags is a FlagSet with the options every command takes.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.dataDir, "data", c.dataDir, "data directory")
	fs.BoolVar(&c.verbose, "verbose", c.verbose, "say more, on stderr")
	fs.Usage = func() {}
	return fs
}

// parseInterleaved parses flags wherever they stand among the arguments
// ("sources add URL --name N"), returning the others in order. With
// stopAtCommand, parsing stops at the first non-flag (the command), so that
// the command's own flags are left to it.
func parseInterleaved(fs *flag.FlagSet, args []string, stopAtCommand bool) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if stopAtCommand {
			return append(rest, args...), nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

func (c *cli) setupLog() {
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelDebug
	}
	c.log = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// needArgs checks the count of positional arguments.
func needArgs(cmd string, args []string, n int, what string) error {
	if len(args) != n {
		return usagef("%s needs %s (got %q)", cmd, what, strings.Join(args, " "))
	}
	return nil
}
