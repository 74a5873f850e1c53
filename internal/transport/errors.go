package transport

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is returned by Fetch when no attempt gave a valid answer. It keeps
// every attempt, so callers can show what was tried and why it failed.
type Error struct {
	URL      string
	Attempts []Attempt
}

// Error says in plain words why the best attempt failed; Detail has the
// technical account of every attempt.
func (e *Error) Error() string {
	if len(e.Attempts) == 0 {
		return fmt.Sprintf("could not fetch %s: nothing was tried", e.URL)
	}
	a := e.best()
	if len(e.Attempts) == 1 {
		return fmt.Sprintf("could not fetch %s: %s", a.URL, a.Plain())
	}
	return fmt.Sprintf("could not fetch %s: %d attempts failed; %s via %s: %s",
		e.URL, len(e.Attempts), a.URL, a.Route, a.Plain())
}

// Detail lists every attempt with its verdict and the error as Go gave
// it: for --verbose and bug reports.
func (e *Error) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "could not fetch %s:", e.URL)
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  %s via %s (%s, %d ms): %v", a.URL, a.Route, a.Verdict, a.Elapsed.Milliseconds(), a.Err)
	}
	return b.String()
}

// Unwrap gives the attempts' errors to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}

// Verdict is the verdict of the attempt that says most about the failure:
// the first one made on the request's own URL.
func (e *Error) Verdict() Verdict {
	if len(e.Attempts) == 0 {
		return ""
	}
	return e.best().Verdict
}

func (e *Error) best() Attempt {
	for _, a := range e.Attempts {
		if a.URL == e.URL {
			return a
		}
	}
	return e.Attempts[0]
}

// VerdictOf returns the verdict carried by err, or "" when it has none.
func VerdictOf(err error) Verdict {
	var te *Error
	if errors.As(err, &te) {
		return te.Verdict()
	}
	return ""
}

// StatusError is an answer with a status that is neither 2xx nor 304.
type StatusError struct {
	Code   int
	Status string
}

func (e *StatusError) Error() string {
	s := strings.TrimSpace(e.Status)
	if s == "" {
		s = fmt.Sprint(e.Code)
	}
	return "server answered " + s
}

// maxStatus bounds a server's status text as Kabootar repeats it.
const maxStatus = 80

// cleanStatus is a server's status line made safe to store and print:
// control characters (terminal escapes among them) dropped, and at most
// maxStatus bytes, cut at a character boundary.
func cleanStatus(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) > maxStatus {
		i := maxStatus
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// TooLargeError is a body larger than the request allows.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %d MB; stopped reading", e.Limit>>20)
}

// BlockPageError is an answer recognised as a censor's block page.
type BlockPageError struct{ Signature string }

func (e *BlockPageError) Error() string {
	return "the answer is a block page (" + e.Signature + "), not the site"
}

// CheckError is a body the caller's check refused.
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

type redirectError struct{ n int }

func (e *redirectError) Error() string {
	return fmt.Sprintf("more than %d redirects", e.n)
}

func asError(err error, target **Error) bool { return errors.As(err, target) }
