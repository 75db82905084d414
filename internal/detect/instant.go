package detect

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// This file holds what rules deciding on one event share, and the
// simplest of them: security configuration changes and sensitive
// application access (detector "match"). Activity after deactivation is
// in deactivated.go.

// instant emits an alert about one event for rule r and key (s, v), unless
// the suppression period holding t already has one. It reports false when
// that period is closed (the event is late).
func (e *Engine) instant(r *rule, s scope, v string, ev *event.Event, t int64, desc func() string) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	if a := e.eventAlert(r, s, v, t); a != nil {
		a.Actor, a.ActorEmail = strings.Clone(ev.ActorID), strings.Clone(ev.ActorEmail)
		a.Application = strings.Clone(cmp.Or(ev.AppID, ev.AppName))
		a.Evidence = []string{strings.Clone(ev.ID)}
		a.Description = desc()
	}
	return true
}

// eventAlert emits the alert of rule r about one event at t for key
// (s, v), with a count of 1, unless the suppression period holding t
// already has one (then nil). It returns the alert in the output for the
// caller to complete (actor, evidence, description: copies that do not
// alias an event) before anything else is emitted.
func (e *Engine) eventAlert(r *rule, s scope, v string, t int64) *Alert {
	p, ok := e.claim(r, s, v, t)
	if !ok {
		return nil
	}
	a := newAlert(r, s.key(v), p, p, t, t)
	a.Count = 1
	e.push(a)
	return &e.out[len(e.out)-1]
}

// newDraft holds what the alert about ev needs until it is decided.
func newDraft(key string, ev *event.Event, desc string) *draft {
	return &draft{Key: strings.Clone(key), ID: strings.Clone(ev.ID), Actor: strings.Clone(ev.ActorID),
		Email: strings.Clone(ev.ActorEmail), App: strings.Clone(cmp.Or(ev.AppID, ev.AppName)), Desc: desc}
}

// fmtDays formats a known period: "30 days", or a duration under a day.
func fmtDays(ns int64) string {
	if ns%int64(day) == 0 {
		return fmt.Sprintf("%d days", ns/int64(day))
	}
	return time.Duration(ns).String()
}

// who names an event's actor for a description.
func who(ev *event.Event) string {
	return cmp.Or(ev.ActorEmail, cmp.Or(ev.ActorName, cmp.Or(ev.ActorID, "an unknown actor")))
}

// appName names an event's application for a description.
func appName(ev *event.Event) string {
	return cmp.Or(ev.AppName, cmp.Or(ev.AppID, "an unknown application"))
}

// matchRule alerts on every event of the rule's types, keyed by actor and
// event type; with applications configured, only on events about one of
// them (by id or case-insensitive name), keyed by actor and application.
// With a known period, only on an event type (application) new to the
// actor: not used by them within it, decided once the watermark passes the
// event (see use).
func (e *Engine) matchRule(r *rule, ev *event.Event, t int64) bool {
	v := actorKey(ev)
	if r.known > 0 {
		if t <= e.wm {
			return false
		}
		e.epoch[r.idx] = min(e.epoch[r.idx], t)
	}
	item, desc := ev.Type, func() string {
		d := fmt.Sprintf("Security configuration change %s by %s", ev.Type, who(ev))
		if r.known > 0 {
			d += fmt.Sprintf(", the first of its kind by them in %s", fmtDays(r.known))
		}
		if ev.AppID != "" || ev.AppName != "" {
			d += " in " + appName(ev)
		}
		return d
	}
	if len(r.apps) > 0 {
		if !e.sensitive(r, ev) {
			return true
		}
		item, desc = cmp.Or(ev.AppID, ev.AppName), func() string {
			first := ""
			if r.known > 0 {
				first = fmt.Sprintf(", their first in %s", fmtDays(r.known))
			}
			return fmt.Sprintf("%s by %s on sensitive application %s%s", ev.Type, who(ev), appName(ev), first)
		}
	}
	if r.known == 0 {
		return e.instant(r, scopeActor, v+"|"+item, ev, t, desc)
	}
	if v != "" {
		e.use(r, v, item, t, func() *draft { return newDraft(v+"|"+item, ev, desc()) })
	}
	return true
}

// sensitive reports whether ev is about one of rule r's applications,
// cached per application (and name).
func (e *Engine) sensitive(r *rule, ev *event.Event) bool {
	k := e.curApp
	if k == nil {
		return r.sensitive(ev)
	}
	bit := uint64(1) << r.idx
	if k.sensName != ev.AppName {
		k.sensName, k.sens, k.sensSet = strings.Clone(ev.AppName), 0, 0
	}
	if k.sensSet&bit == 0 {
		k.sensSet |= bit
		if r.sensitive(ev) {
			k.sens |= bit
		}
	}
	return k.sens&bit != 0
}

// sensitive reports whether ev is about one of the rule's applications.
func (r *rule) sensitive(ev *event.Event) bool {
	if r.apps[ev.AppID] || r.apps[ev.AppName] {
		return true
	}
	for _, a := range r.Applications {
		if ev.AppName != "" && strings.EqualFold(a, ev.AppName) {
			return true
		}
	}
	return false
}
