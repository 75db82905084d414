package detect

import (
	"cmp"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// This file holds the counting detectors "threshold" (bulk deletion,
// export burst, high churn), "failed-logins" and "distinct" (broad
// access); their windows slide (slide.go).

// scopeValue returns what scope s keys an event by; "" means the event has
// no such key (the workspace scope always has one).
func scopeValue(s scope, ev *event.Event) (string, bool) {
	switch s {
	case scopeActor:
		v := actorKey(ev)
		return v, v != ""
	case scopeApp:
		v := cmp.Or(ev.AppID, ev.AppName)
		return v, v != ""
	}
	return "", true
}

// scopeKeys yields the index of each of r's scopes the event has a key
// for, and that key: what the counting detectors count it under.
func scopeKeys(r *rule, ev *event.Event) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for si, s := range r.scopes {
			if v, ok := scopeValue(s, ev); ok && !yield(si, v) {
				return
			}
		}
	}
}

// threshold counts events of the rule's types per scope and step; windows
// are decided when the watermark passes them (slide.go).
func (e *Engine) threshold(r *rule, ev *event.Event, t int64) bool {
	return e.countSteps(r, ev, t, false, true)
}

// failedLogin counts login attempts with a known outcome, and failures,
// per scope and step; windows are decided when the watermark passes them
// (slide.go). The evidence is the failed attempts.
func (e *Engine) failedLogin(r *rule, ev *event.Event, t int64) bool {
	if ev.Outcome == "" {
		return true
	}
	failed := ev.Outcome == "failure"
	return e.countSteps(r, ev, t, failed, failed)
}

// countSteps counts ev in its step of every scope of r it has a key for,
// as a failure too when failed, with its ID as evidence when evidence is
// set. It reports false when the watermark has passed the step.
func (e *Engine) countSteps(r *rule, ev *event.Event, t int64, failed, evidence bool) bool {
	inTime := true
	for si, v := range scopeKeys(r, ev) {
		sl, st := e.stepFor(r, si, r.scopes[si], v, t, ev)
		if st == nil {
			inTime = false
			continue
		}
		st.count++
		sl.total++
		st.first, st.last = min(st.first, t), max(st.last, t)
		if failed {
			st.fails++
			sl.totalFails++
		}
		if evidence {
			st.addEvidence(ev.ID, e.cfg.evidenceCap)
		}
		e.wake(r, sl, st.idx)
	}
	return inTime
}

// distinct keeps the distinct applications an actor touches per step
// (at most Threshold+1 per step: enough to decide), with the first event
// on each as evidence; windows are decided when the watermark passes them.
// With a known period, only applications new to the actor count: each is
// counted once decided, at the start of its run of uses (see use,
// countNew), in the step that holds it.
func (e *Engine) distinct(r *rule, ev *event.Event, t int64) bool {
	v, app := actorKey(ev), cmp.Or(ev.AppID, ev.AppName)
	if v == "" || app == "" {
		return true
	}
	if r.known > 0 {
		if t <= e.wm {
			return false
		}
		e.use(r, v, app, t, func() *draft {
			return &draft{ID: strings.Clone(ev.ID), Email: strings.Clone(ev.ActorEmail)}
		})
		return true
	}
	sl, st := e.stepFor(r, 0, scopeActor, v, t, ev)
	if st == nil {
		return false
	}
	st.count++
	st.first, st.last = min(st.first, t), max(st.last, t)
	if len(st.apps) > r.Threshold || slices.Contains(st.apps, app) {
		return true
	}
	app = e.curApp.nameOf(app)
	if st.apps == nil {
		st.apps = make([]string, 0, 2)
	}
	st.apps = append(st.apps, app)
	st.addEvidence(ev.ID, math.MaxInt)
	sl.all = addApp(sl.all, app)
	e.wake(r, sl, st.idx)
	return true
}

// countAlert emits the alert of a spike window, subject to suppression.
func (e *Engine) countAlert(r *rule, s scope, v string, c *cell, desc string) {
	p, ok := e.claim(r, s, v, c.start)
	if !ok {
		return
	}
	a := newAlert(r, s.key(v), p, [2]int64{c.start, c.end}, c.first, c.last)
	switch s {
	case scopeActor:
		a.Actor, a.ActorEmail = v, c.email
	case scopeApp:
		a.Application = v
	}
	a.Count = c.count
	a.Evidence = c.evidence()
	a.Description = desc
	e.push(a)
}

// subject names a counting key for a description.
func subject(s scope, v string, c *cell) string {
	switch s {
	case scopeActor:
		return "by " + cmp.Or(c.email, v)
	case scopeApp:
		return "in application " + cmp.Or(c.app, v)
	}
	return "in the workspace"
}

// clock formats an event time for a description.
func clock(ns int64) string { return utc(ns).Format(time.RFC3339) }
