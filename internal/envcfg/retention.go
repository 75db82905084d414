package envcfg

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseRetention reads a retention (ARCHIVE_RETENTION: how long the
// archive keeps events, and the inventory its snapshots): Ny (years of 365.25 days), Nw, Nd, a
// Go duration (2160h), or 0 to keep everything.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	day := 24 * time.Hour
	for suffix, unit := range map[string]time.Duration{"y": day * 36525 / 100, "w": 7 * day, "d": day} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 1 {
				return 0, errors.New("want a positive number of years (7y), weeks (26w) or days (90d), a duration (2160h), or 0 to keep all")
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("want a positive number of years (7y), weeks (26w) or days (90d), a duration (2160h), or 0 to keep all")
	}
	return d, nil
}
