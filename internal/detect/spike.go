package detect

import (
	"cmp"
	"fmt"
	"math"

	"github.com/pigment-siem/pipeline/internal/event"
)

// baseKey names one spike baseline: rule, scope and value.
type baseKey struct {
	rule  uint8
	scope scope
	value string
}

// ewma is a trailing baseline: an exponentially weighted mean of the
// counts of past windows (weight 2/(BaselineWindows+1) for the newest),
// last being the index of the last window folded in. Windows without
// events count as zero, unless the rule skips idle windows (SkipIdle): then
// the baseline is the key's usual count when active.
type ewma struct {
	avg  float64
	last int64
}

// spike counts every event of the rule's types per scope and window; the
// window is decided when Advance closes it (closeSpike).
func (e *Engine) spike(r *rule, ev *event.Event, t int64) bool {
	inTime := true
	for si, v := range scopeKeys(r, ev) {
		c := e.cellFor(r, si, r.scopes[si], v, t, ev)
		if c == nil {
			inTime = false
			continue
		}
		c.add(ev, t, e.cfg.evidenceCap)
		e.epoch[r.idx] = min(e.epoch[r.idx], c.start)
	}
	return inTime
}

// closeSpike alerts when a closed window's count is at least the minimum
// and more than Factor times the baseline (at least 1), once the engine has
// seen BaselineWindows windows, then folds the count into the baseline.
// With SkipIdle the windows since the key's last active one are not folded
// in as zeros: a night or a weekend does not make the morning a spike.
func (e *Engine) closeSpike(r *rule, k cellKey, c *cell) {
	idx := windowIndex(k.start, r.window)
	bk := baseKey{rule: k.rule, scope: k.scope, value: k.value}
	b := e.baselines[bk]
	var base float64
	if b != nil {
		base = b.avg
		if !r.SkipIdle {
			base *= math.Pow(1-r.alpha, float64(idx-b.last-1))
		}
	}
	minCount := r.MinCount
	if k.scope == scopeWorkspace {
		minCount = cmp.Or(r.WorkspaceMinCount, r.MinCount)
	}
	warm := k.start-e.epoch[r.idx] >= int64(cmp.Or(r.BaselineWindows, 24))*r.window
	if warm && c.count >= minCount && float64(c.count) > r.Factor*max(base, 1) {
		e.countAlert(r, k.scope, k.value, c, fmt.Sprintf("%d events %s between %s and %s, %.1f times the baseline of %.1f per window",
			c.count, subject(k.scope, k.value, c), clock(c.first), clock(c.last), float64(c.count)/max(base, 1), base))
	}
	if b == nil {
		if k.scope != scopeWorkspace && len(e.baselines) >= e.cfg.maxActors {
			e.stats.Dropped++
			return
		}
		b = &ewma{}
		e.baselines[bk] = b
	}
	b.avg, b.last = r.alpha*float64(c.count)+(1-r.alpha)*base, idx
}

// windowIndex numbers windows of size w (local days are 23 to 25 hours).
func windowIndex(start, w int64) int64 {
	return int64(math.Round(float64(start) / float64(w)))
}

// idleBaseline is how long a baseline that skips idle windows is kept
// without activity.
const idleBaseline = 30 * int64(day)

// pruneBaselines drops baselines that have decayed to almost nothing, or
// (SkipIdle) not updated for idleBaseline, so actors seen once do not stay
// forever.
func (e *Engine) pruneBaselines() {
	for k, b := range e.baselines {
		r := e.cfg.rules[k.rule]
		now := windowIndex(e.wm, r.window)
		if r.SkipIdle && now-b.last > idleBaseline/r.window ||
			!r.SkipIdle && b.avg*math.Pow(1-r.alpha, float64(now-b.last)) < 0.01 {
			delete(e.baselines, k)
		}
	}
}
