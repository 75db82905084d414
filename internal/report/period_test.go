package report

import (
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	for _, tc := range []struct {
		in         string
		parse      func(string) (Period, error)
		start, end string
	}{
		{"2026-W48", ParseWeek, "2026-11-23", "2026-11-30"},
		{"2026-W01", ParseWeek, "2025-12-29", "2026-01-05"},
		{"2020-W53", ParseWeek, "2020-12-28", "2021-01-04"},
		{"2026-11", ParseMonth, "2026-11-01", "2026-12-01"},
		{"2026-12", ParseMonth, "2026-12-01", "2027-01-01"},
	} {
		p, err := tc.parse(tc.in)
		if err != nil || p.Name != tc.in || !p.Start.Equal(day(tc.start)) || !p.End.Equal(day(tc.end)) {
			t.Errorf("%s: got %+v, %v; want %s to %s", tc.in, p, err, tc.start, tc.end)
		}
	}
	for _, bad := range []string{"2026-W54", "2026-W00", "2026-48", "2026W48", "2026-W5", "2025-W53", "26-W48", ""} {
		if _, err := ParseWeek(bad); err == nil {
			t.Errorf("ParseWeek(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"2026-13", "2026-1", "2026-11-01", "11-2026", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC) // a Wednesday
	if w := LastCompleteWeek(now); w.Name != "2026-W48" {
		t.Errorf("last complete week on %s: %s", now, w.Name)
	}
	if w := LastCompleteWeek(day("2026-11-30")); w.Name != "2026-W48" { // a Monday: W48 just ended
		t.Errorf("last complete week on a Monday: %s", w.Name)
	}
	if m := LastCompleteMonth(now); m.Name != "2026-11" {
		t.Errorf("last complete month: %s", m.Name)
	}
	if m := LastCompleteMonth(day("2027-01-15")); m.Name != "2026-12" {
		t.Errorf("last complete month in January: %s", m.Name)
	}
}
