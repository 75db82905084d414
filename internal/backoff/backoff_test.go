package backoff

import (
	"testing"
	"time"
)

func TestJitteredGrowsToItsCapAndStaysInRange(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 10 * time.Second
	for _, tc := range []struct {
		attempt int
		ceiling time.Duration // the upper bound of the draw
	}{
		{0, lo}, {1, lo}, {2, 2 * lo}, {5, 16 * lo}, {8, hi}, {1000, hi},
	} {
		var top time.Duration
		for range 2000 {
			d := Jittered(tc.attempt, lo, hi)
			if d < lo/2 || d >= lo/2+tc.ceiling {
				t.Fatalf("attempt %d: %v outside [%v, %v)", tc.attempt, d, lo/2, lo/2+tc.ceiling)
			}
			top = max(top, d)
		}
		if top < lo/2+tc.ceiling*9/10 {
			t.Errorf("attempt %d: the largest of 2000 draws is %v, want near %v: not spread over the range", tc.attempt, top, lo/2+tc.ceiling)
		}
	}
}
