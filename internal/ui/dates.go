package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	ptime "github.com/yaa110/go-persian-calendar"
)

// How the window writes dates and numbers: a Persian reader reads dates in
// the Solar Hijri calendar with Persian digits, as Persian software and
// news sites write them; an English one, Gregorian. Recent times read as
// how long ago. The command line keeps ISO dates; scripts read them.

// persianDigits writes s's ASCII digits as Persian ones.
func persianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + (r - '0')
		}
		return r
	}, s)
}

// numberText is n in the window's digits.
func numberText(n int, persian bool) string {
	s := strconv.Itoa(n)
	if persian {
		return persianDigits(s)
	}
	return s
}

// dateText is t as the window shows it, now being now: relative under a
// day ("۵ دقیقه پیش", "3 h ago"), else the date and time, in t's own
// location (the reader's, for what the window shows).
func dateText(t, now time.Time, persian bool) string {
	if d := now.Sub(t); d >= 0 && d < 24*time.Hour {
		return agoText(d, persian)
	}
	return fullDate(t, persian)
}

// fullDate is t's date and time: "۱۰ آذر ۱۴۰۵، ۰۷:۵۵" or "2026-12-01 07:55".
func fullDate(t time.Time, persian bool) string {
	if !persian {
		return t.Format("2006-01-02 15:04")
	}
	p := ptime.New(t)
	return persianDigits(fmt.Sprintf("%d %s %d، %02d:%02d", p.Day(), p.Month().String(), p.Year(), p.Hour(), p.Minute()))
}

func agoText(d time.Duration, persian bool) string {
	switch {
	case d < time.Minute && persian:
		return "همین حالا"
	case d < time.Minute:
		return "just now"
	case d < time.Hour && persian:
		return persianDigits(strconv.Itoa(int(d.Minutes()))) + " دقیقه پیش"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case persian:
		return persianDigits(strconv.Itoa(int(d.Hours()))) + " ساعت پیش"
	}
	return fmt.Sprintf("%d h ago", int(d.Hours()))
}
