package detect

import (
	"math"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// This file holds what lets a rule judge an event against the member's own
// history rather than an absolute count: for a rule with `known` set, what
// each member used (applications for broad-access and sensitive-access,
// event types for security-config, levels granted for privilege-escalation)
// and when. Only what is new to the member counts.
//
// The verdict must not depend on the order events arrive in (a catch-up
// arrives newest first), so it is taken in event time, once the watermark
// passes: the uses of an item are kept as chains, maximal runs of uses each
// within `known` of the previous one. A chain's first use is new (nothing in
// the `known` before it); every other use is not. A chain whose start the
// watermark has passed is decided: its start can no longer move, since
// earlier events are late. Chains that ended more than `known` before the
// watermark can change nothing any more and are forgotten.

// knownCap caps the items remembered per member and rule; beyond it the
// one used least recently is forgotten.
const knownCap = 64

// knownKey names the history of one member for one rule.
type knownKey struct {
	rule  uint8
	actor string
}

// knownSet is one member's history for one rule: items (application keys,
// event types or levels, interned) and, per item, its chains in time order.
type knownSet struct {
	rule    uint8
	actor   string
	items   []string
	chains  [][]chain
	pending bool // listed in Engine.knownPend
	gone    bool // dropped from Engine.known (see keyEntry.known)
}

// chain is a run of uses of one item, each within `known` of the previous.
type chain struct {
	start, end int64
	decided    bool
	draft      *draft // the alert its start raises (match, privilege); nil for counting
}

// draft is what an alert on a chain's first use needs.
type draft struct {
	Key, ID, Actor, Email, App, Desc string
}

// use records a use of item by actor v at t for rule r (not late: t is
// after the watermark) and returns the chain holding it. mk builds the
// alert of a chain starting at t (nil: none). An actor beyond MaxActors
// has no history, and nil is returned.
func (e *Engine) use(r *rule, v, item string, t int64, mk func() *draft) *chain {
	e.epoch[r.idx] = min(e.epoch[r.idx], t)
	ks := e.knownFor(r, v)
	if ks == nil {
		return nil
	}
	i := slices.Index(ks.items, item)
	if i < 0 {
		i = ks.add(e.intern(item))
	}
	cs := ks.chains[i]
	// The first chain ending at or after t - known.
	j, _ := slices.BinarySearchFunc(cs, t-r.known, func(c chain, x int64) int { return cmpInt(c.end, x) })
	switch {
	case j < len(cs) && cs[j].start-r.known <= t && cs[j].start <= t:
		cs[j].end = max(cs[j].end, t) // within a chain, or just after its end
	case j < len(cs) && cs[j].start-r.known <= t:
		cs[j].start = t // just before its start: t starts it now
		if mk != nil {
			cs[j].draft = mk()
		}
	default:
		c := chain{start: t, end: t}
		if mk != nil {
			c.draft = mk()
		}
		cs = slices.Insert(cs, j, c)
	}
	// Extending a chain may have brought the next one within reach.
	for j+1 < len(cs) && cs[j+1].start-r.known <= cs[j].end {
		cs[j].end = max(cs[j].end, cs[j+1].end)
		cs = slices.Delete(cs, j+1, j+2)
	}
	ks.chains[i] = cs
	if !cs[j].decided && !ks.pending {
		ks.pending = true
		e.knownPend = append(e.knownPend, ks)
	}
	e.knownNext = min(e.knownNext, cs[j].start)
	return &ks.chains[i][j]
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// add appends item, forgetting the least recently used one at the cap.
func (ks *knownSet) add(item string) int {
	if len(ks.items) < knownCap {
		ks.items = append(ks.items, item)
		ks.chains = append(ks.chains, nil)
		return len(ks.items) - 1
	}
	oldest, at := 0, int64(math.MaxInt64)
	for i, cs := range ks.chains {
		last := int64(math.MinInt64)
		if n := len(cs); n > 0 {
			last = cs[n-1].end
		}
		if last < at {
			oldest, at = i, last
		}
	}
	ks.items[oldest], ks.chains[oldest] = item, nil
	return oldest
}

// learnt reports whether rule r is past its learning period at t. The
// period counts from the earliest event of the stream, of any type: a rule
// whose events are rare (the workspace's first API key) is as old as the
// history detect has read, not as its own first event.
func (e *Engine) learnt(r *rule, t int64) bool { return t-e.first >= r.learning }

// decideKnown decides the chains whose start the new watermark w passes,
// and for each new one past the learning period raises its alert (match,
// privilege) or counts its application in the actor's sliding window
// (distinct). Advance calls it before moving the watermark to w, so that
// the steps holding these starts are still pending: the windows holding
// them are then decided at w like any other.
func (e *Engine) decideKnown(w int64) {
	if w < e.knownNext {
		return
	}
	next := int64(math.MaxInt64)
	keep := e.knownPend[:0]
	for _, ks := range e.knownPend {
		still := false
		if !ks.gone {
			r := e.cfg.rules[ks.rule]
			for i := range ks.chains {
				for j := range ks.chains[i] {
					c := &ks.chains[i][j]
					if c.decided {
						continue
					}
					if c.start > w {
						still, next = true, min(next, c.start)
						continue
					}
					c.decided = true
					switch {
					case c.draft == nil || !e.learnt(r, c.start):
					case r.det == detDistinct:
						e.countNew(r, ks.actor, ks.items[i], c)
					default:
						e.raise(r, c)
					}
					c.draft = nil
				}
			}
		}
		ks.pending = still
		if still {
			keep = append(keep, ks)
		}
	}
	clear(e.knownPend[len(keep):])
	e.knownPend, e.knownNext = keep, next
}

// raise emits the alert of a new chain, subject to suppression.
func (e *Engine) raise(r *rule, c *chain) {
	d := c.draft
	s := scopeActor
	v := d.Key
	if r.det == detPrivilege {
		s = scopeMember
	}
	if a := e.eventAlert(r, s, v, c.start); a != nil {
		a.Actor, a.ActorEmail, a.Application = d.Actor, d.Email, d.App
		a.Evidence = []string{d.ID}
		a.Description = d.Desc
	}
}

// intern returns item without aliasing the event: the application's cached
// name or the interned event type when it is one of them.
func (e *Engine) intern(item string) string {
	if e.curApp != nil && e.curApp.name == item {
		return e.curApp.name
	}
	if ti := e.types[item]; ti != nil {
		return ti.name
	}
	return strings.Clone(item)
}

// knownFor returns the history of actor v for rule r, creating it unless
// MaxActors members already have one (then nil, counted in Stats.Dropped).
func (e *Engine) knownFor(r *rule, v string) *knownSet {
	ke := e.curActor
	if ke != nil && ke.name == v {
		if ke.known == nil {
			ke.known = make([]*knownSet, e.cfg.knownSlots)
		}
		if ks := ke.known[r.knownSlot]; ks != nil && !ks.gone {
			return ks
		}
	}
	k := knownKey{r.idx, v}
	ks := e.known[k]
	if ks == nil {
		if len(e.known) >= e.cfg.maxActors*max(e.cfg.knownSlots, 1) {
			e.stats.Dropped++
			return nil
		}
		if ke != nil && ke.name == v {
			k.actor = ke.name
		} else {
			k.actor = strings.Clone(v)
		}
		ks = &knownSet{rule: r.idx, actor: k.actor}
		e.known[k] = ks
	}
	if ke != nil && ke.name == v {
		ke.known[r.knownSlot] = ks
	}
	return ks
}

// countNew counts app, new to actor v at the start of chain c, in the
// actor's sliding window of rule r (distinct), with the event that started
// the chain as evidence. The watermark has not moved yet (decideKnown), so
// the step is still pending.
func (e *Engine) countNew(r *rule, v, app string, c *chain) {
	ev := event.Event{ID: c.draft.ID, ActorEmail: c.draft.Email}
	e.curActor, e.curApp = e.keys[v], nil
	defer func() { e.curActor = nil }()
	sl, st := e.stepFor(r, 0, scopeActor, v, c.start, &ev)
	if st == nil {
		return
	}
	st.count++
	st.first, st.last = min(st.first, c.start), max(st.last, c.start)
	if len(st.apps) > r.Threshold || slices.Contains(st.apps, app) {
		return
	}
	st.apps = append(st.apps, app)
	st.addEvidence(c.draft.ID, math.MaxInt)
	sl.all = addApp(sl.all, app)
	e.wake(r, sl, st.idx)
}

// pruneKnown forgets decided chains that ended more than their rule's
// known period before the watermark (no event still to come is within
// reach of them), items left without chains, and members left without
// items.
func (e *Engine) pruneKnown() {
	for k, ks := range e.known {
		r := e.cfg.rules[k.rule]
		n := 0
		for i, cs := range ks.chains {
			cs = slices.DeleteFunc(cs, func(c chain) bool { return c.decided && c.end < e.wm-r.known })
			if len(cs) > 0 {
				ks.items[n], ks.chains[n] = ks.items[i], cs
				n++
			}
		}
		clear(ks.items[n:])
		clear(ks.chains[n:])
		ks.items, ks.chains = ks.items[:n], ks.chains[:n]
		if n == 0 {
			delete(e.known, k)
			ks.gone = true
		}
	}
}
