package detect

// Windows: the cells that count events per rule, key and window, how the
// watermark decides and drops them, suppression, and replay detection.

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// cellFor returns the cell of rule r, its si-th scope s and value v (the
// event's key for s) for the window holding t, creating it, or nil when
// that window is closed. The key's cache entry remembers the cell, so the
// next event of the key in the window skips the map.
func (e *Engine) cellFor(r *rule, si int, s scope, v string, t int64, ev *event.Event) *cell {
	start, end := e.window(r, t)
	if end <= e.wm {
		return nil
	}
	ref, ke := e.refFor(r, si, s)
	if ref != nil && ref.c != nil && ref.c.gen == ref.gen && ref.c.start == start {
		return ref.c
	}
	k := cellKey{rule: r.idx, scope: s, start: start, value: v}
	c := e.cells[k]
	if c == nil {
		c = e.freeCells.get(&e.cellGen)
		c.start, c.end, c.first, c.last = start, end, t, t
		k.value = ke.nameOf(v)
		c.email, c.app = ke.labels(s, ev)
		e.cells[k] = c
		e.nextClose = min(e.nextClose, end)
	}
	if ref != nil {
		*ref = cellRef{c: c, gen: c.gen}
	}
	return c
}

// add counts ev in c.
func (c *cell) add(ev *event.Event, t int64, evidenceCap int) {
	c.count++
	c.first, c.last = min(c.first, t), max(c.last, t)
	c.addEvidence(ev.ID, evidenceCap)
}

// claim reports whether rule r may alert for (s, v) in the suppression
// period holding t, and records it; Suppressed counts refusals.
func (e *Engine) claim(r *rule, s scope, v string, t int64) (period [2]int64, ok bool) {
	start, end := e.period(r, t)
	k := supKey{rule: r.idx, scope: s, start: start, value: v}
	if _, done := e.sup[k]; done {
		e.stats.Suppressed++
		return period, false
	}
	k.value = strings.Clone(v)
	e.sup[k] = end
	e.supNext = min(e.supNext, end)
	return [2]int64{start, end}, true
}

// push appends an alert to the output.
func (e *Engine) push(a Alert) {
	e.stats.Alerts++
	e.out = append(e.out, a)
}

// closeCells decides and drops every window the watermark has passed, in a
// fixed order (end, rule, scope, value) so alerts and baselines do not
// depend on map order.
func (e *Engine) closeCells() {
	done := e.closing[:0]
	next := int64(math.MaxInt64)
	for k, c := range e.cells {
		if c.end <= e.wm {
			done = append(done, closing{k, c})
		} else {
			next = min(next, c.end)
		}
	}
	slices.SortFunc(done, func(a, b closing) int {
		return cmp.Or(cmp.Compare(a.c.end, b.c.end), cmp.Compare(a.k.rule, b.k.rule),
			cmp.Compare(a.k.scope, b.k.scope), cmp.Compare(a.k.start, b.k.start), strings.Compare(a.k.value, b.k.value))
	})
	for _, d := range done {
		r := e.cfg.rules[d.k.rule]
		switch r.det {
		case detSpike:
			e.closeSpike(r, d.k, d.c)
		}
		delete(e.cells, d.k)
		e.freeCells.put(d.c)
	}
	clear(done)
	e.closing = nil
	if cap(done) <= 4096 { // keep a small scratch, not a burst's
		e.closing = done[:0]
	}
	e.nextClose = next
}

// closing is a cell closeCells decides.
type closing struct {
	k cellKey
	c *cell
}

// prune drops suppression records and seen event IDs that no open window
// can need any more.
func (e *Engine) prune() {
	if e.supNext <= e.wm {
		next := int64(math.MaxInt64)
		for k, end := range e.sup {
			if end <= e.wm {
				delete(e.sup, k)
			} else {
				next = min(next, end)
			}
		}
		e.supNext = next
	}
	keep := e.cfg.horizon + 2*hour // a day window may last 25h (DST)
	for b := range e.seen {
		if b+hour+keep <= e.wm {
			delete(e.seen, b)
			if b == e.seenB {
				e.seenS = nil
			}
		}
	}
}

// duplicate reports whether an event with this ID and time was already
// counted, and remembers it. IDs are kept per hour of event time, for as
// long as a rule's window or suppression period may hold the event.
//
// A 64-bit hash of the ID is kept, not the ID: two distinct IDs of one hour
// collide with probability about n^2/2^65 for n events in that hour (below
// 3e-8 for a million events an hour), and a collision can only make one
// event count as a duplicate, lowering one count by one.
func (e *Engine) duplicate(id string, t int64) bool {
	b := t - ((t%hour)+hour)%hour
	s := e.seenS
	if s == nil || b != e.seenB {
		s = e.seen[b]
		if s == nil {
			if b+hour+e.cfg.horizon+2*hour <= e.wm {
				return false // too old to be counted anywhere: late
			}
			s = e.newIDSet(b)
			e.seen[b] = s
		}
		e.seenB, e.seenS = b, s
	}
	return s.add(idHash(id))
}

// actorKey returns the value actor-scoped rules key an event by: the
// member id, else the email.
func actorKey(ev *event.Event) string { return ev.ActorKey() }
