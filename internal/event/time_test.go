package event

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-01-15T10:30:00Z", time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), true},
		{"2024-01-15T10:30:00.123456789Z", time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.UTC), true},
		{"2024-01-15T10:30:00-05:00", time.Date(2024, 1, 15, 15, 30, 0, 0, time.UTC), true},
		{"2024-01-15T10:30:00", time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC), true},
		{"2024-01-15T10:30:00.5", time.Date(2024, 1, 15, 10, 30, 0, 5e8, time.UTC), true},
		{"2024-01-15T10:30:00.123456", time.Date(2024, 1, 15, 10, 30, 0, 123456e3, time.UTC), true},
		{"2024-01-15", time.Time{}, false},
		{"2024-01-15 10:30:00", time.Time{}, false},
		{"", time.Time{}, false},
		{"xyz", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if !got.Equal(tt.want) || ok != tt.ok || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v (in UTC)", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
