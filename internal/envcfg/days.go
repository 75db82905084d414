package envcfg

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Days is a duration that also accepts whole days ("180d"), since
// retention, lookbacks and overlaps are spoken of in days. extract and
// report read PIGMENT_OVERLAP through it, so both accept the same values.
type Days time.Duration

// EnvDecode implements envconfig.Decoder.
func (d *Days) EnvDecode(s string) error {
	v, err := ParseDays(s)
	*d = Days(v)
	return err
}

// ParseDays reads a Go duration (10m, 36h) or whole days (180d).
func ParseDays(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		v = time.Duration(days) * 24 * time.Hour
	}
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 10m, 36h or 180d", s)
	}
	return v, nil
}
