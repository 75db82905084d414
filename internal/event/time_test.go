package event

import (
	"testing"
	"time"
)

// timeCases are timestamps and the instant parseTime reads (ok false: not
// a timestamp); TestTimesOneRule checks Parse and ParseAPI agree on them.
var timeCases = []struct {
	in   string
	want time.Time
	ok   bool
}{
	{"2024-01-15T10:30:00Z", time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), true},
	{"2024-01-15T10:30:00.123456789Z", time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.UTC), true},
	{"2024-01-15T12:30:00.000000001+02:00", time.Date(2024, 1, 15, 10, 30, 0, 1, time.UTC), true},
	{"2024-01-15T10:30:00-05:00", time.Date(2024, 1, 15, 15, 30, 0, 0, time.UTC), true},
	{"2024-01-15T10:30:00", time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), true},
	{"2024-01-15T10:30:00.5", time.Date(2024, 1, 15, 10, 30, 0, 5e8, time.UTC), true},
	{"2024-01-15T10:30:00.123456", time.Date(2024, 1, 15, 10, 30, 0, 123456e3, time.UTC), true},
	{"2024-01-15T10:30:00.987654321", time.Date(2024, 1, 15, 10, 30, 0, 987654321, time.UTC), true},
	{"2024-01-15", time.Time{}, false},
	{"2024-01-15 10:30:00", time.Time{}, false},
	{"", time.Time{}, false},
	{"xyz", time.Time{}, false},
}

func TestParseTime(t *testing.T) {
	for _, tt := range timeCases {
		got, ok := parseTime(tt.in)
		if !got.Equal(tt.want) || ok != tt.ok || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v (in UTC)", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
