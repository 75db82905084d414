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
	"fmt"
	"math"
	"slices"
	"strings"

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

// slideNow decides the windows the watermark has passed of every slide
// that may be over the threshold (Engine.loud), and hourly catches up the
// quiet ones and drops those left empty. The alerts of one call are put in
// a fixed order (window end, rule, key).
func (e *Engine) slideNow() {
	due := false
	for _, r := range e.cfg.rules {
		if sliding(r.det) && e.lastFinal(r) > e.swept[r.idx] {
			due = true
			e.swept[r.idx] = e.lastFinal(r)
		}
	}
	if !due {
		return
	}
	from := len(e.out)
	loud := e.loud[:0]
	for _, sl := range e.loud {
		r := e.cfg.rules[sl.key.rule]
		e.decide(r, sl, e.lastFinal(r))
		if sl.quiet(r) {
			sl.loud = false
		} else {
			loud = append(loud, sl)
		}
	}
	clear(e.loud[len(loud):])
	e.loud = loud
	if e.wm >= e.slidePrune {
		e.slidePrune = e.wm - ((e.wm%hour)+hour)%hour + hour
		for k, sl := range e.slides {
			r := e.cfg.rules[k.rule]
			e.decide(r, sl, e.lastFinal(r))
			if len(sl.steps) == 0 && !sl.loud {
				delete(e.slides, k)
				e.freeSlides.put(sl)
			}
		}
	}
	slices.SortFunc(e.out[from:], func(a, b Alert) int {
		return cmp.Or(a.Window.End.Compare(b.Window.End), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Key, b.Key))
	})
}

// decide decides the windows of sl ending with steps done+1..last, in order.
func (e *Engine) decide(r *rule, sl *slide, last int64) {
	if sl.done >= last {
		return
	}
	every := max(r.sup/r.hop, 1)
	for sl.done < last {
		if sl.n == 0 { // nothing in the window: skip to the next pending step
			sl.run = false
			if len(sl.steps) == 0 || sl.steps[0].idx > last {
				sl.done = last
				return
			}
			sl.done = sl.steps[0].idx - 1
		}
		i := sl.done + 1
		for sl.n > 0 && sl.steps[0].idx <= i-steps {
			sl.leave()
		}
		fed := false
		if sl.n < len(sl.steps) && sl.steps[sl.n].idx == i {
			sl.enter()
			fed = true
		}
		sl.done = i
		if !sl.over(r) {
			sl.run = false
			continue
		}
		if !sl.run || (fed && i >= sl.next) {
			sl.run, sl.next = true, i+every
			e.slideAlert(r, sl, i, sl.steps[:sl.n])
		}
	}
}

// enter adds the first pending step to the decided window.
func (sl *slide) enter() {
	st := &sl.steps[sl.n]
	sl.n++
	sl.sum += st.count
	sl.fails += st.fails
	for _, a := range st.apps {
		sl.refs = addApp(sl.refs, a)
	}
}

// leave drops the oldest step of the decided window, keeping its arenas
// past the end of steps for reuse.
func (sl *slide) leave() {
	old := sl.steps[0]
	sl.sum -= old.count
	sl.fails -= old.fails
	sl.total -= old.count
	sl.totalFails -= old.fails
	for _, a := range old.apps {
		sl.refs = dropApp(sl.refs, a)
		sl.all = dropApp(sl.all, a)
	}
	copy(sl.steps, sl.steps[1:])
	sl.steps[len(sl.steps)-1] = old
	sl.steps = sl.steps[:len(sl.steps)-1]
	sl.n--
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

// over reports whether the decided window of sl is over the rule's
// threshold.
func (sl *slide) over(r *rule) bool { return isOver(r, sl.key.scope, sl.sum, sl.fails, len(sl.refs)) }

// window returns the steps of sl within the window ending with step i.
func (sl *slide) window(i int64) []step {
	lo := 0
	for lo < len(sl.steps) && sl.steps[lo].idx <= i-steps {
		lo++
	}
	hi := lo
	for hi < len(sl.steps) && sl.steps[hi].idx <= i {
		hi++
	}
	return sl.steps[lo:hi]
}

// counts returns the events (failed-logins: attempts), failures and
// distinct applications of the steps ws.
func (e *Engine) counts(ws []step) (sum, fails, apps int) {
	seen := e.appScratch[:0]
	for i := range ws {
		sum, fails = sum+ws[i].count, fails+ws[i].fails
		for _, a := range ws[i].apps {
			if !slices.Contains(seen, a) {
				seen = append(seen, a)
			}
		}
	}
	clear(seen)
	e.appScratch = seen[:0]
	return sum, fails, len(seen)
}

// isOver reports whether counts are over rule r's threshold for scope s.
func isOver(r *rule, s scope, sum, fails, apps int) bool {
	switch r.det {
	case detDistinct:
		return apps > r.Threshold
	case detFailed:
		minCount := r.MinCount
		if s == scopeWorkspace {
			minCount = cmp.Or(r.WorkspaceMinCount, r.MinCount)
		}
		return sum >= max(minCount, 1) && float64(fails) > r.Share*float64(sum)
	}
	return sum > r.Threshold
}

// atOnce raises, from Process, the alert a count crossing in the current
// suppression period is sure to get (counts and distinct applications only
// grow; a share of failures does not, so failed-logins always wait): the watermark is within the period
// that holds the first step it has not passed, and the last window it
// passed was not over (for a slide decided up to it, not in a run; for one
// that was quiet until now, none was), so the first window over among
// those ending in the period begins a run in it, whose alert has the
// period's ID whatever else arrives. idx is the step that got the event.
// The alert's count and evidence are the window's at this moment; the
// watermark's decision of the same run is then suppressed.
func (e *Engine) atOnce(r *rule, sl *slide, idx int64) {
	if r.det == detFailed || e.wm == math.MinInt64 || (sl.run && sl.done == e.lastFinal(r)) {
		return // a share of failures may still fall: wait for the watermark
	}
	next := e.lastFinal(r) + 1
	_, end := e.period(r, next*r.hop)
	if idx*r.hop >= end || sl.claimed == end {
		return
	}
	last := idx + steps
	if sl.steps[len(sl.steps)-1].idx == idx {
		// Windows ending later hold fewer of the steps with events:
		// counts and distinct applications can only be lower.
		last = idx + 1
	}
	for i := idx; i < last && i*r.hop < end; i++ {
		ws := sl.window(i)
		if sum, fails, apps := e.counts(ws); isOver(r, sl.key.scope, sum, fails, apps) {
			e.slideAlert(r, sl, i, ws)
			return
		}
	}
}

// slideAlert emits the alert of the window of sl ending with step i, of
// steps ws, subject to suppression.
func (e *Engine) slideAlert(r *rule, sl *slide, i int64, ws []step) {
	k := sl.key
	_, sl.claimed = e.period(r, i*r.hop)
	p, ok := e.claim(r, k.scope, k.value, i*r.hop)
	if !ok {
		return
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for _, st := range ws {
		first, last = min(first, st.first), max(last, st.last)
	}
	a := newAlert(r, k.scope.key(k.value), p, [2]int64{(i - steps + 1) * r.hop, (i + 1) * r.hop}, first, last)
	switch k.scope {
	case scopeActor:
		a.Actor, a.ActorEmail = k.value, sl.email
	case scopeApp:
		a.Application = k.value
	}
	a.Evidence = evidence(ws, r.det == detDistinct, e.cfg.evidenceCap)
	subj := subject(k.scope, k.value, &cell{email: sl.email, app: sl.app})
	sum, fails, apps := e.counts(ws)
	switch r.det {
	case detDistinct:
		a.Count = apps
		what := "distinct applications"
		if r.known > 0 {
			what = "applications they had not used in " + fmtDays(r.known)
		}
		a.Description = fmt.Sprintf("%s touched %d %s between %s and %s, more than %d",
			cmp.Or(sl.email, k.value), a.Count, what, clock(first), clock(last), r.Threshold)
	case detFailed:
		a.Count = fails
		a.Description = fmt.Sprintf("%d of %d login attempts failed %s between %s and %s (more than %.0f%%)",
			fails, sum, subj, clock(first), clock(last), 100*r.Share)
	default:
		a.Count = sum
		a.Description = fmt.Sprintf("%d events of %s %s between %s and %s, more than %d",
			sum, strings.Join(r.Types, "/"), subj, clock(first), clock(last), r.Threshold)
	}
	e.push(a)
}

// evidence returns up to n evidence IDs of the steps ws, oldest first; for
// distinct, the first event on each application. The IDs share one string.
func evidence(ws []step, distinct bool, n int) []string {
	var size, ids int
	for _, st := range ws {
		size, ids = size+len(st.ev), ids+len(st.evEnd)
	}
	if ids == 0 {
		return nil
	}
	buf := make([]byte, 0, size)
	ends := make([]int, 0, min(ids, n))
	var apps []string
	for _, st := range ws {
		from := uint32(0)
		for i, end := range st.evEnd {
			if len(ends) == n {
				break
			}
			id := st.ev[from:end]
			from = end
			if distinct {
				if slices.Contains(apps, st.apps[i]) {
					continue
				}
				apps = append(apps, st.apps[i])
			}
			buf = append(buf, id...)
			ends = append(ends, len(buf))
		}
	}
	all := string(buf)
	out := make([]string, len(ends))
	prev := 0
	for i, end := range ends {
		out[i], prev = all[prev:end], end
	}
	return out
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
