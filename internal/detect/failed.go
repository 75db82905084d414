package detect

import (
	"cmp"
	"fmt"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// failedLogin counts login attempts with a known outcome, and failures,
// per scope and window; the share is decided when Advance closes the
// window (closeFailed). The evidence is the failed attempts.
func (e *Engine) failedLogin(r *rule, ev *transform.Event, t int64) bool {
	if ev.Outcome == "" {
		return true
	}
	inTime := true
	for si, s := range r.scopes {
		v, ok := scopeValue(s, ev)
		if !ok {
			continue
		}
		c := e.cellFor(r, si, s, v, t, ev)
		if c == nil {
			inTime = false
			continue
		}
		c.count++
		if ev.Outcome == "failure" {
			c.fails++
			c.add(ev, t, e.cfg.evidenceCap)
			c.count--
		}
	}
	return inTime
}

// closeFailed alerts when a closed window has at least the minimum number
// of attempts (MinCount per actor, WorkspaceMinCount for the workspace) and
// more than Share of them failed. The alert's count is the failures.
func (e *Engine) closeFailed(r *rule, k cellKey, c *cell) {
	minCount := r.MinCount
	if k.scope == scopeWorkspace {
		minCount = cmp.Or(r.WorkspaceMinCount, r.MinCount)
	}
	if c.count < max(minCount, 1) || float64(c.fails) <= r.Share*float64(c.count) {
		return
	}
	attempts := c.count
	c.count = c.fails
	e.countAlert(r, k.scope, k.value, c, fmt.Sprintf("%d of %d login attempts failed %s between %s and %s (more than %.0f%%)",
		c.fails, attempts, subject(k.scope, k.value, c), clock(c.first), clock(c.last), 100*r.Share))
}
