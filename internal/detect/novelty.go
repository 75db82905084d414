package detect

import (
	"strings"
)

// This file holds what lets a rule judge an event against the member's own
// history rather than an absolute count: for a rule with `known` set, what
// each member used recently (applications for broad-access and
// sensitive-access, event types for security-config), with the last time
// they used it. Only what is new to the member counts.

// knownCap caps the items remembered per member and rule; beyond it the
// least recently used one is forgotten.
const knownCap = 64

// knownKey names the history of one member for one rule.
type knownKey struct {
	rule  uint8
	actor string
}

// knownSet is what one member used within a rule's `known` period: items
// (application keys or event types, interned) and when each was last used.
type knownSet struct {
	items []string
	last  []int64
	gone  bool // dropped from Engine.known (see keyEntry.known)
}

// novel reports whether item is new to actor v for rule r (not used within
// r.known before t), and records its use at t. During the rule's learning
// period (r.learning after the first event of its types) nothing is new:
// the rule only learns. An actor beyond MaxActors has no history: everything
// is new to it.
func (e *Engine) novel(r *rule, v, item string, t int64) bool {
	e.epoch[r.idx] = min(e.epoch[r.idx], t)
	learnt := t-e.epoch[r.idx] >= r.learning
	ks := e.knownFor(r, v)
	if ks == nil {
		return learnt
	}
	for i, it := range ks.items {
		if it == item {
			known := ks.last[i] >= t-r.known
			ks.last[i] = max(ks.last[i], t)
			return learnt && !known
		}
	}
	if len(ks.items) < knownCap {
		ks.items = append(ks.items, e.intern(item))
		ks.last = append(ks.last, t)
		return learnt
	}
	oldest := 0
	for i, at := range ks.last {
		if at < ks.last[oldest] {
			oldest = i
		}
	}
	ks.items[oldest], ks.last[oldest] = e.intern(item), t
	return learnt
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
		ks = &knownSet{}
		if ke != nil && ke.name == v {
			k.actor = ke.name
		} else {
			k.actor = strings.Clone(v)
		}
		e.known[k] = ks
	}
	if ke != nil && ke.name == v {
		ke.known[r.knownSlot] = ks
	}
	return ks
}

// pruneKnown forgets items not used within their rule's known period
// before the watermark, and members left with none.
func (e *Engine) pruneKnown() {
	for k, ks := range e.known {
		r := e.cfg.rules[k.rule]
		j := 0
		for i, at := range ks.last {
			if at >= e.wm-r.known {
				ks.items[j], ks.last[j] = ks.items[i], at
				j++
			}
		}
		clear(ks.items[j:])
		ks.items, ks.last = ks.items[:j], ks.last[:j]
		if j == 0 {
			delete(e.known, k)
			ks.gone = true
		}
	}
}
