package detect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// This file holds the counting detectors that decide as soon as a count
// crosses a threshold: "threshold" (bulk deletion, export burst, high
// churn) and "distinct" (broad access).

// scopeValue returns what scope s keys an event by; "" means the event has
// no such key (the workspace scope always has one).
func scopeValue(s scope, ev *transform.Event) (string, bool) {
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

// threshold counts events of the rule's types per scope and window, and
// alerts once per window (and suppression period) when a count exceeds
// Threshold.
func (e *Engine) threshold(r *rule, ev *transform.Event, t int64) bool {
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
		c.add(ev, t, e.cfg.evidenceCap)
		if !c.emitted && c.count > r.Threshold {
			c.emitted = true
			e.countAlert(r, s, v, c, fmt.Sprintf("%d events of %s %s between %s and %s, more than %d",
				c.count, strings.Join(r.Types, "/"), subject(s, v, c), clock(c.first), clock(c.last), r.Threshold))
		}
	}
	return inTime
}

// distinct counts the distinct applications an actor touches per window,
// and alerts once per window when they exceed Threshold. The evidence is
// the first event on each application.
func (e *Engine) distinct(r *rule, ev *transform.Event, t int64) bool {
	v, app := actorKey(ev), cmp.Or(ev.AppID, ev.AppName)
	if v == "" || app == "" {
		return true
	}
	c := e.cellFor(r, 0, scopeActor, v, t, ev)
	if c == nil {
		return false
	}
	c.count++
	c.first, c.last = min(c.first, t), max(c.last, t)
	if len(c.distinct) > r.Threshold || slices.Contains(c.distinct, app) {
		return true
	}
	if e.curApp != nil {
		c.distinct = append(c.distinct, e.curApp.name)
	} else {
		c.distinct = append(c.distinct, strings.Clone(app))
	}
	c.addEvidence(ev.ID, e.cfg.evidenceCap)
	if !c.emitted && len(c.distinct) > r.Threshold {
		c.emitted = true
		c.count = len(c.distinct)
		e.countAlert(r, scopeActor, v, c, fmt.Sprintf("%s touched %d distinct applications between %s and %s, more than %d",
			cmp.Or(c.email, v), len(c.distinct), clock(c.first), clock(c.last), r.Threshold))
	}
	return true
}

// countAlert emits the alert of a counting window, subject to suppression.
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
