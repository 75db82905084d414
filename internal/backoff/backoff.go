// Package backoff computes the wait before a retry, and waits it: exponential in the
// attempt, capped, and jittered so that clients retrying together (every
// forwarder of a group after a sink outage, every partition reader after a
// broker restart) spread out instead of hitting the peer at once.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Jittered returns the wait before retry number attempt (1 for the first):
// a duration drawn from [lo/2, lo/2 + d), where d is lo doubled per
// attempt and capped at hi.
func Jittered(attempt int, lo, hi time.Duration) time.Duration {
	d := lo << min(max(attempt, 1)-1, 20)
	if d <= 0 || d > hi {
		d = hi
	}
	return lo/2 + rand.N(d)
}

// Sleep waits d or until ctx ends, whichever comes first, and returns
// ctx.Err() in the second case: the wait between retries that a shutdown
// must be able to cut short.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
