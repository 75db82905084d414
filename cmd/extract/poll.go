package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// pigmentRateLimit is the Audit Logs API's documented budget, per IP: what
// the poll interval is derived from when PIGMENT_RATE_LIMIT=off (the API
// still counts the requests).
var pigmentRateLimit = RateLimit{Requests: 500, Window: 5 * time.Minute}

// Poll is how often extract run polls, and why.
type Poll struct {
	Interval time.Duration
	// Derived is false when PIGMENT_POLL_INTERVAL set it explicitly.
	Derived bool
	// PerDay is the requests a day of polls costs when each poll is one page.
	PerDay float64
}

// poll derives the live poll interval from a share of the rate budget:
//
//	interval = window / (limit × share)
//
// so one-page polls spend exactly that share of the budget: 500/5m at 15 %
// is 75 requests per window, a poll every 4 s, 21,600 requests a day. A
// poll costs one request per page it reads (the overlap re-read included:
// every PIGMENT_OVERLAP of events beyond a page's worth adds a request).
// The budget shared through Postgres still bounds the whole; the share
// only leaves the rest of it to the customer's other uses of the key
// (imports, exports, the inventory, backfills). An explicit
// PIGMENT_POLL_INTERVAL wins.
func (c *Config) poll() Poll {
	iv, derived := c.PollInterval, c.PollInterval == 0
	if derived {
		rl := c.RateLimit
		if rl.Requests <= 0 {
			rl = pigmentRateLimit
		}
		iv = time.Duration(float64(rl.Window) / (float64(rl.Requests) * float64(c.PollShare)))
	}
	return Poll{Interval: iv, Derived: derived, PerDay: float64(24*time.Hour) / float64(iv)}
}

const (
	// minDerivedInterval and maxDerivedInterval bound the interval a share
	// may derive: a share so small or a budget so large that it overflows
	// (read as negative) or rounds to nothing would poll as fast as the
	// budget allows, and one poll a day is no live extractor.
	minDerivedInterval = time.Millisecond
	maxDerivedInterval = 24 * time.Hour
	// unhealthyPolls is how many poll intervals a leader may go without a
	// successful run or a committed page before /healthz answers 503.
	unhealthyPolls = 3
	// minDerivedQuiet is the least of that time with a derived interval:
	// what the old 30 s default gave. Three 4 s polls would be 12 s, and a
	// run waiting for the shared budget (spent by a backfill, the
	// inventory) is no fault worth restarting the process for.
	minDerivedQuiet = 90 * time.Second
)

// Quiet is how long the leader may go without progress before /healthz
// answers 503: three poll intervals, and at least 90 s for a derived one.
func (p Poll) Quiet() time.Duration {
	q := unhealthyPolls * p.Interval
	if p.Derived {
		q = max(q, minDerivedQuiet)
	}
	return q
}

// Percent is a share written "15%" (or "15"), held as a fraction (0.15).
type Percent float64

// EnvDecode implements envconfig.Decoder.
func (p *Percent) EnvDecode(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || math.IsNaN(v) {
		return fmt.Errorf("%q: want a percentage such as 15%%", s)
	}
	*p = Percent(v / 100)
	return nil
}
