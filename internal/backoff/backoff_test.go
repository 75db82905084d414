package backoff

import (
	"context"
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

func TestSleepWaitsOrStopsWithItsContext(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep = %v, want nil once the wait passed", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep with an ended context = %v, want context.Canceled", err)
	}
	if err := Sleep(ctx, 0); err != context.Canceled {
		t.Fatalf("Sleep(0) with an ended context = %v, want context.Canceled", err)
	}
}
