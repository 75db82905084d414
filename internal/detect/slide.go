package detect

// Sliding windows of the counting rules (threshold, distinct,
// failed-logins): "more than N in an hour" means any hour, to within a
// step of a twelfth of the window.
//
// Each rule, scope and key has a slide: the counts of its steps (window/12
// of event time each, aligned on the Unix epoch) that are still pending
// (not yet passed by the watermark) or within the last window decided. A
// window is the twelve steps ending with step e; it is decided once the
// watermark passes the end of e, so from counts no later event can change:
// whatever the arrival order within the lateness, every window has the
// same count when it is decided. Windows are decided in order. A window
// over the threshold after one that was not (a crossing) alerts, with the
// ID of the suppression period holding the start of its last step; while
// windows stay over, the run alerts again in a step that holds events of
// it at least one suppression period after its last alert. A burst thus
// raises one alert, a spree one per suppression period it lasts. A
// crossing whose period is already certain is raised at once (atOnce).
//
// Most slides cannot be over (all their steps together hold no more than
// the threshold): they are quiet, and left alone until an event makes them
// loud, or the hourly sweep drops them once empty.

import (
	"cmp"

	"github.com/pigment-siem/pipeline/internal/event"
)

// steps is the number of steps in a window.
const steps = 12

// step counts one step of one slide.
type step struct {
	idx          int64 // floor(time / hop)
	count, fails int   // events (failed-logins: attempts), failed attempts
	first, last  int64
	idArena               // evidence: event IDs, capped
	apps         []string // distinct: applications first seen in this step, capped; apps[i] has evidence i
}

// slide is the sliding window of one rule, scope and key.
type slide struct {
	steps []step // in order: steps[:n] are the decided window (idx in done-11..done), the rest pending (idx > done)
	n     int
	done  int64 // the last step whose window was decided
	sum   int   // over the decided window: events (failed-logins: attempts)
	fails int
	refs  []appRef // distinct: applications of the decided window, with how many of its steps hold them
	run   bool     // the decided window is over the threshold
	next  int64    // during a run: the first step that may alert again
	email string   // for the alert: actor email, application name
	app   string
	gen   uint64 // changes when the slide is dropped (see cellRef)
	key   baseKey
	// Over every step held (decided or pending), so that a slide no window
	// of which can be over is left alone until it gets events (quiet).
	total, totalFails int
	all               []appRef // distinct: the applications of every step held
	loud              bool     // in Engine.loud
	claimed           int64    // end of the last suppression period claimed (atOnce need not look again)
}

// appRef is an application of a distinct slide's window.
type appRef struct {
	name string
	n    int
}

// sliding reports whether a detector counts in sliding windows.
func sliding(det int) bool { return det == detThreshold || det == detDistinct || det == detFailed }

// floorDiv returns floor(a / b) for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// lastFinal returns the last step of rule r the watermark has passed.
func (e *Engine) lastFinal(r *rule) int64 { return floorDiv(e.wm, r.hop) - 1 }

// stepFor returns the step of rule r, its si-th scope s and value v that
// holds t, creating it, or nil when the watermark has passed that step.
func (e *Engine) stepFor(r *rule, si int, s scope, v string, t int64, ev *event.Event) (*slide, *step) {
	idx := floorDiv(t, r.hop)
	if idx <= e.lastFinal(r) {
		return nil, nil
	}
	sl := e.slideFor(r, si, s, v, ev)
	i := len(sl.steps)
	for i > sl.n && sl.steps[i-1].idx > idx {
		i--
	}
	if i > sl.n && sl.steps[i-1].idx == idx {
		return sl, &sl.steps[i-1]
	}
	// Insert at i, reusing the arenas of a step dropped earlier.
	if len(sl.steps) < cap(sl.steps) {
		sl.steps = sl.steps[:len(sl.steps)+1]
	} else {
		sl.steps = append(sl.steps, step{})
	}
	spare := sl.steps[len(sl.steps)-1]
	copy(sl.steps[i+1:], sl.steps[i:len(sl.steps)-1])
	clear(spare.apps)
	sl.steps[i] = step{idx: idx, first: t, last: t, idArena: spare.emptied(), apps: spare.apps[:0]}
	return sl, &sl.steps[i]
}

// quiet reports whether no window of sl can be over the threshold, counting
// every step it holds.
func (sl *slide) quiet(r *rule) bool {
	switch r.det {
	case detDistinct:
		return len(sl.all) <= r.Threshold
	case detFailed:
		minCount := r.MinCount
		if sl.key.scope == scopeWorkspace {
			minCount = cmp.Or(r.WorkspaceMinCount, r.MinCount)
		}
		return sl.totalFails == 0 || sl.total < minCount
	}
	return sl.total <= r.Threshold
}

// wake puts sl on the list slideNow decides when it may be over, and
// then looks for an alert it may raise at once (atOnce) in the step idx
// that just got an event.
func (e *Engine) wake(r *rule, sl *slide, idx int64) {
	if !sl.loud {
		// Steps no undecided window holds still count in the totals of a
		// quiet slide (slideNow leaves it alone): drop them first. No
		// window it passes can be over.
		if last := e.lastFinal(r); sl.steps[0].idx <= last-steps {
			e.decide(r, sl, last)
		}
		if sl.quiet(r) {
			return
		}
		sl.loud = true
		e.loud = append(e.loud, sl)
	}
	e.atOnce(r, sl, idx)
}

// addApp counts an application in refs.
func addApp(refs []appRef, a string) []appRef {
	for j := range refs {
		if refs[j].name == a {
			refs[j].n++
			return refs
		}
	}
	return append(refs, appRef{a, 1})
}

// dropApp uncounts an application from refs.
func dropApp(refs []appRef, a string) []appRef {
	for j := range refs {
		if refs[j].name == a {
			if refs[j].n--; refs[j].n == 0 {
				refs[j] = refs[len(refs)-1]
				refs[len(refs)-1] = appRef{}
				refs = refs[:len(refs)-1]
			}
			return refs
		}
	}
	return refs
}

// slideFor returns the slide of rule r, scope s and value v, creating it.
// The key's cache entry remembers it.
func (e *Engine) slideFor(r *rule, si int, s scope, v string, ev *event.Event) *slide {
	ref, ke := e.refFor(r, si, s)
	if ref != nil && ref.s != nil && ref.s.gen == ref.gen {
		return ref.s
	}
	k := baseKey{rule: r.idx, scope: s, value: v}
	sl := e.slides[k]
	if sl == nil {
		sl = e.freeSlides.get(&e.cellGen)
		sl.done = e.lastFinal(r)
		k.value = ke.nameOf(v)
		sl.key = k
		sl.email, sl.app = ke.labels(s, ev)
		e.slides[k] = sl
	}
	if ref != nil {
		*ref = cellRef{s: sl, gen: sl.gen}
	}
	return sl
}

// recount sets the totals of sl and its decided window from its steps.
func (sl *slide) recount() {
	clear(sl.refs)
	clear(sl.all)
	sl.refs, sl.all = sl.refs[:0], sl.all[:0]
	sl.sum, sl.fails, sl.total, sl.totalFails = 0, 0, 0, 0
	for i := range sl.steps {
		st := &sl.steps[i]
		sl.total += st.count
		sl.totalFails += st.fails
		for _, a := range st.apps {
			sl.all = addApp(sl.all, a)
		}
		if i < sl.n {
			sl.sum += st.count
			sl.fails += st.fails
			for _, a := range st.apps {
				sl.refs = addApp(sl.refs, a)
			}
		}
	}
}

func (sl *slide) reset(gen uint64) {
	clear(sl.refs)
	clear(sl.all)
	*sl = slide{steps: sl.steps[:0], refs: sl.refs[:0], all: sl.all[:0], gen: gen}
}

func (sl *slide) retire() bool {
	sl.gen = 0
	return cap(sl.steps) <= 32
}
