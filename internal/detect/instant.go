package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// This file holds what rules deciding on one event share, and the two
// simplest of them: security configuration changes and sensitive
// application access (detector "match"), and activity after deactivation.

// instant emits an alert about one event for rule r and key (s, v), unless
// the suppression period holding t already has one. It reports false when
// that period is closed (the event is late).
func (e *Engine) instant(r *rule, s scope, v string, ev *transform.Event, t int64, desc func() string) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	p, ok := e.claim(r, s, v, t)
	if !ok {
		return true
	}
	a := newAlert(r, s.key(v), p, p, t, t)
	a.Actor = strings.Clone(ev.ActorID)
	a.ActorEmail = strings.Clone(ev.ActorEmail)
	a.Application = strings.Clone(cmp.Or(ev.AppID, ev.AppName))
	a.Count = 1
	a.Evidence = []string{strings.Clone(ev.ID)}
	a.Description = desc()
	e.push(a)
	return true
}

// who names an event's actor for a description.
func who(ev *transform.Event) string {
	return cmp.Or(ev.ActorEmail, ev.ActorName, ev.ActorID, "an unknown actor")
}

// appName names an event's application for a description.
func appName(ev *transform.Event) string {
	return cmp.Or(ev.AppName, ev.AppID, "an unknown application")
}

// matchRule alerts on every event of the rule's types, keyed by actor and
// event type; with applications configured, only on events about one of
// them (by id or case-insensitive name), keyed by actor and application.
func (e *Engine) matchRule(r *rule, ev *transform.Event, t int64) bool {
	v := actorKey(ev)
	if len(r.apps) > 0 {
		if !e.sensitive(r, ev) {
			return true
		}
		return e.instant(r, scopeActor, v+"|"+cmp.Or(ev.AppID, ev.AppName), ev, t, func() string {
			return fmt.Sprintf("%s by %s on sensitive application %s", ev.Type, who(ev), appName(ev))
		})
	}
	return e.instant(r, scopeActor, v+"|"+ev.Type, ev, t, func() string {
		d := fmt.Sprintf("Security configuration change %s by %s", ev.Type, who(ev))
		if ev.AppID != "" || ev.AppName != "" {
			d += " in " + appName(ev)
		}
		return d
	})
}

// sensitive reports whether ev is about one of rule r's applications,
// cached per application (and name).
func (e *Engine) sensitive(r *rule, ev *transform.Event) bool {
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
func (r *rule) sensitive(ev *transform.Event) bool {
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

// deactivated records deactivations and reactivations, and alerts on any
// event whose actor is a deactivated member, later than the deactivation.
// Because a deactivation may be processed after activity it precedes (both
// within the lateness), the last few events of each actor within the
// lateness are kept (recent) and checked when the deactivation arrives.
func (e *Engine) deactivated(r *rule, ev *transform.Event, t int64) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false // a late (or replayed) deactivation is not applied
	}
	switch {
	case strings.Contains(ev.Type, "Deactivated") && (strings.HasPrefix(ev.Type, "Member") || strings.HasPrefix(ev.Type, "User")):
		id := readExtra(ev).member()
		if id == "" {
			return true
		}
		if old, ok := e.deact[id]; ok && old <= t {
			return true
		}
		if len(e.deact) >= e.cfg.maxActors {
			e.stats.Dropped++
			return true
		}
		e.deact[strings.Clone(id)] = t
		e.deactGen++
		if rc := e.recent[id]; rc != nil {
			if i := rc.after(t); i >= 0 {
				x := transform.Event{ID: string(rc.ids[i][:rc.idLen[i]]), Type: rc.types[i], ActorID: id, ActorEmail: rc.email}
				e.flagDeactivated(r, &x, rc.times[i], t)
			}
		}
		return true
	case strings.Contains(ev.Type, "Reactivated"):
		if id := readExtra(ev).member(); id != "" {
			if old, ok := e.deact[id]; ok && t >= old {
				delete(e.deact, id)
				e.deactGen++
			}
		}
		return true
	}
	v := actorKey(ev)
	if v == "" {
		return true
	}
	e.remember(v, ev, t)
	var at int64
	var ok bool
	if e.curActor != nil {
		at, ok = e.deactOf(e.curActor)
	} else {
		at, ok = e.deact[v]
	}
	if !ok || t <= at {
		return true
	}
	return e.flagDeactivated(r, ev, t, at)
}

func (e *Engine) flagDeactivated(r *rule, ev *transform.Event, t, at int64) bool {
	return e.instant(r, scopeActor, actorKey(ev), ev, t, func() string {
		return fmt.Sprintf("%s by %s after the member was deactivated at %s", ev.Type, who(ev), utc(at).Format("2006-01-02 15:04:05Z07:00"))
	})
}

// recentN is how many recent events per actor the deactivation rule keeps.
const recentN = 4

// recent holds an actor's last events within the lateness, in fixed
// arrays so that updating it does not allocate.
type recent struct {
	times [recentN]int64
	ids   [recentN][40]byte
	idLen [recentN]uint8
	types [recentN]string // interned through Engine.types keys
	email string
	next  int
	gone  bool // dropped from Engine.recent (see keyEntry.recent)
}

// remember records ev as one of the recent events of actor v.
func (e *Engine) remember(v string, ev *transform.Event, t int64) {
	// Before the first Advance e.wm is MinInt64, and subtracting the
	// lateness from it would wrap around to a huge positive bound.
	if e.wm != math.MinInt64 && t <= e.wm-e.cfg.lateness {
		return
	}
	ke := e.curActor
	var rc *recent
	if ke != nil && ke.recent != nil && !ke.recent.gone {
		rc = ke.recent
	} else {
		rc = e.recent[v]
		if rc == nil {
			if len(e.recent) >= e.cfg.maxActors {
				return
			}
			rc = &recent{email: strings.Clone(ev.ActorEmail)}
			if ke != nil {
				e.recent[ke.name] = rc
			} else {
				e.recent[strings.Clone(v)] = rc
			}
		}
		if ke != nil {
			ke.recent = rc
		}
	}
	i := rc.next
	rc.next = (i + 1) % recentN
	rc.times[i] = t
	rc.idLen[i] = uint8(copy(rc.ids[i][:], ev.ID))
	rc.types[i] = e.typeName(ev.Type)
}

// after returns the index of the earliest recent event later than t, or -1.
func (rc *recent) after(t int64) int {
	best := -1
	for i, at := range rc.times {
		if at > t && (best < 0 || at < rc.times[best]) {
			best = i
		}
	}
	return best
}

// pruneRecent drops actors whose recent events are all older than the
// watermark minus the lateness.
func (e *Engine) pruneRecent() {
	for v, rc := range e.recent {
		if slices.Max(rc.times[:]) <= e.wm-e.cfg.lateness {
			delete(e.recent, v)
			rc.gone = true
		}
	}
}
