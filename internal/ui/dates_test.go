package ui

import (
	"testing"
	"time"
)

func TestDates(t *testing.T) {
	tehran := time.FixedZone("IRST", 3*3600+1800)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, tehran)
	tests := []struct {
		name    string
		at      time.Time
		persian bool
		want    string
	}{
		{"a day of the year", time.Date(2026, 11, 29, 7, 55, 0, 0, tehran), true, "۸ آذر ۱۴۰۵، ۰۷:۵۵"},
		{"the first day of the year", time.Date(2026, 3, 21, 9, 5, 0, 0, tehran), true, "۱ فروردین ۱۴۰۵، ۰۹:۰۵"},
		{"the last day of a leap year", time.Date(2025, 3, 20, 23, 59, 0, 0, tehran), true, "۳۰ اسفند ۱۴۰۳، ۲۳:۵۹"},
		{"the last day of a common year", time.Date(2026, 3, 20, 0, 0, 0, 0, tehran), true, "۲۹ اسفند ۱۴۰۴، ۰۰:۰۰"},
		{"English keeps Gregorian", time.Date(2026, 11, 29, 7, 55, 0, 0, tehran), false, "2026-11-29 07:55"},
		{"minutes ago", now.Add(-5 * time.Minute), true, "۵ دقیقه پیش"},
		{"hours ago", now.Add(-3*time.Hour - 10*time.Minute), true, "۳ ساعت پیش"},
		{"just now", now.Add(-10 * time.Second), true, "همین حالا"},
		{"minutes ago, English", now.Add(-5 * time.Minute), false, "5 min ago"},
		{"hours ago, English", now.Add(-23 * time.Hour), false, "23 h ago"},
		{"a day ago is a date", now.Add(-24 * time.Hour), false, "2026-11-30 12:00"},
		{"the future is a date", now.Add(time.Hour), true, "۱۰ آذر ۱۴۰۵، ۱۳:۰۰"},
	}
	for _, tt := range tests {
		if got := dateText(tt.at, now, tt.persian); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := numberText(1405, true); got != "۱۴۰۵" {
		t.Errorf("digits: %q", got)
	}
	if got := numberText(42, false); got != "42" {
		t.Errorf("English digits: %q", got)
	}
}

func TestVisualRTL(t *testing.T) {
	for in, want := range map[string]string{
		"۲۰ دقیقه پیش":       " دقیقه پیش۲۰",
		"۱۰ آذر ۱۴۰۵، ۰۷:۵۵": "۰۷:۵۵، ۱۴۰۵ آذر ۱۰",
		"همین حالا":          "همین حالا",
		"20 min ago":         "20 min ago",
	} {
		if got := visualRTL(in); got != want {
			t.Errorf("visualRTL(%q) = %q, want %q", in, got, want)
		}
	}
}
