package envcfg

import (
	"testing"
	"time"
)

func TestParseDays(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10m", 10 * time.Minute, true},
		{"36h", 36 * time.Hour, true},
		{"180d", 180 * 24 * time.Hour, true},
		{"0", 0, true},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"ten minutes", 0, false},
	} {
		got, err := ParseDays(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseDays(%q) = %v, %v; want %v, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
