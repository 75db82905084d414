package detect

// Deciding the sliding windows (see slide.go): in order as the watermark
// passes them (slideNow, decide), or at once when a crossing's period is
// certain (atOnce), and the alert of a window over the threshold.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

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
