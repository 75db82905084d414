package envcfg_test

import (
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/envcfg"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"7y", 7 * (36525 * day / 100)}, {"90d", 90 * day}, {"26w", 26 * 7 * day}, {"2160h", 90 * day}, {"0", 0},
	} {
		if got, err := envcfg.ParseRetention(tc.in); err != nil || got != tc.want {
			t.Errorf("envcfg.ParseRetention(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "y", "-1y", "7 years", "1.5y", "-5h"} {
		if got, err := envcfg.ParseRetention(bad); err == nil {
			t.Errorf("envcfg.ParseRetention(%q) = %v, want an error", bad, got)
		}
	}
}
