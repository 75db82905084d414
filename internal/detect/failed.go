package detect

import (
	"github.com/pigment-siem/pipeline/internal/event"
)

// failedLogin counts login attempts with a known outcome, and failures,
// per scope and step; windows are decided when the watermark passes them
// (slide.go). The evidence is the failed attempts.
func (e *Engine) failedLogin(r *rule, ev *event.Event, t int64) bool {
	if ev.Outcome == "" {
		return true
	}
	inTime := true
	for si, s := range r.scopes {
		v, ok := scopeValue(s, ev)
		if !ok {
			continue
		}
		sl, st := e.stepFor(r, si, s, v, t, ev)
		if st == nil {
			inTime = false
			continue
		}
		st.count++
		sl.total++
		st.first, st.last = min(st.first, t), max(st.last, t)
		if ev.Outcome == "failure" {
			st.fails++
			sl.totalFails++
			st.addEvidence(ev.ID, e.cfg.evidenceCap)
		}
		e.wake(r, sl, st.idx)
	}
	return inTime
}
