package main

import (
	"testing"
	"time"
)

// TestDayEnd: the day that ended is computed dayEndMargin after its
// midnight, never before it, and at most a day later.
func TestDayEnd(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct{ now, next, day string }{
		{"2026-12-02T06:27:00Z", "2026-12-03T00:15:00Z", "2026-12-02T00:00:00Z"},
		{"2026-12-02T00:10:00Z", "2026-12-02T00:15:00Z", "2026-12-01T00:00:00Z"},
		{"2026-12-02T00:15:00Z", "2026-12-03T00:15:00Z", "2026-12-02T00:00:00Z"},
		{"2026-12-02T08:00:00+09:00", "2026-12-02T00:15:00Z", "2026-12-01T00:00:00Z"}, // 23:00 UTC the day before
	}
	for _, tt := range tests {
		next, day := dayEnd(d(tt.now))
		if !next.Equal(d(tt.next)) || !day.Equal(d(tt.day)) {
			t.Errorf("dayEnd(%s) = %s, %s; want %s, %s", tt.now, next, day, tt.next, tt.day)
		}
	}
}
