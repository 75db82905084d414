package transform

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestCivilEveryDay checks civil against time.Time's own calendar on every
// day of years 0-9999.
func TestCivilEveryDay(t *testing.T) {
	for d := uint64(0); d < (maxUnix-minUnix)/86400; d++ {
		y, m, day := time.Unix(minUnix+int64(d)*86400, 0).UTC().Date()
		if gy, gm, gd := civil(d); gy != uint64(y) || gm != uint64(m) || gd != uint64(day) {
			t.Fatalf("civil(%d) = %d-%d-%d, want %d-%d-%d", d, gy, gm, gd, y, m, day)
		}
	}
}

// timeCases are times at the edges of the formats' range, in UTC and in
// zones that move them across a year boundary, and random ones.
func timeCases() []time.Time {
	east, west := time.FixedZone("E", 14*3600), time.FixedZone("W", -12*3600)
	var ts []time.Time
	for _, s := range []int64{minUnix - 1, minUnix, minUnix + 1, 0, -1, 1718000000, maxUnix - 1, maxUnix, maxUnix + 1, math.MinInt64, math.MaxInt64} {
		for _, ns := range []int64{0, 1, 999, 1000, 123000000, 123456000, 123456789, 999999999} {
			for _, loc := range []*time.Location{time.UTC, east, west} {
				ts = append(ts, time.Unix(s, ns).In(loc))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		ts = append(ts, time.Unix(minUnix-86400+r.Int64N(maxUnix-minUnix+2*86400), r.Int64N(1e9)).In(east))
	}
	return append(ts, time.Time{}, time.Date(-1, 12, 31, 23, 0, 0, 0, west), time.Date(10000, 1, 1, 1, 0, 0, 0, east))
}

// TestTimesSameAsReference compares eventTime's range check, appendTime
// and appendEpoch with their reference copies.
func TestTimesSameAsReference(t *testing.T) {
	for _, tm := range timeCases() {
		want := !tm.IsZero() && tm.UTC().Year() >= 0 && tm.UTC().Year() <= 9999
		if got := inYears(tm); got != want {
			t.Fatalf("inYears(%v) = %v, want %v", tm, got, want)
		}
		if !want {
			continue
		}
		if got, want := string(appendTime(nil, tm)), string(oldAppendTime(nil, tm)); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
		if got, want := string(appendEpoch(nil, tm)), string(oldAppendEpoch(nil, tm)); got != want {
			t.Fatalf("appendEpoch(%v) = %s, want %s", tm, got, want)
		}
	}
}
