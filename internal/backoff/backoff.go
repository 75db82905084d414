// Package backoff computes the wait before a retry: exponential in the
// attempt, capped, and jittered so that clients retrying together (every
// forwarder of a group after a sink outage, every partition reader after a
// broker restart) spread out instead of hitting the peer at once.
package backoff

import (
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
