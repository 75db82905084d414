package pigmentsim

import (
	"sync/atomic"
	"time"
)

// ManualClock is a clock that moves only when told: a test drives a
// simulator (Config.Clock = c.Now) and its client on one such clock, so
// that rate windows, late events and lookback move in step. It is safe for
// concurrent use; times are in UTC.
type ManualClock struct {
	ns atomic.Int64 // Unix nanoseconds
}

// NewManualClock returns a clock standing at t.
func NewManualClock(t time.Time) *ManualClock {
	c := &ManualClock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Add moves the clock by d.
func (c *ManualClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
