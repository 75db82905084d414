package detect

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// This file holds the deactivated-activity rule. Its decisions must not
// depend on the order events arrive in (a backlog is served newest first):
// a reactivation may arrive before the deactivation it ends, activity
// before the deactivation that makes it suspect. So the rule keeps each
// member's status history in event time (deactivated from, reactivated
// from) and holds each activity until the watermark has passed the end of
// its minute; then every status change that can still count is in, and
// the activity is judged against the history once, for good.
//
// The member deactivated is the event's target (actor.Target, read by
// event.Parse into Event.Target*), the activity is by that member as actor;
// the history is kept under the target's id and under its email, and an
// activity is judged against both of its actor's.

// change is one status change of a member, in event time.
type change struct {
	at    int64
	deact bool   // deactivated from at; else reactivated from at
	id    string // the change's event ID, for evidence
}

// history is a member's status changes, sorted by time (cmpChange).
type history struct {
	changes []change
}

// act is an activity held until the watermark passes its minute.
type act struct {
	t     int64
	rule  uint8
	idLen uint8
	id    [40]byte // the event ID, when it fits (no allocation)
	long  string   // the event ID, when it does not
	typ   string   // interned (Engine.typeName)
	app   string   // the application key (a copy), "" when none
}

func (a *act) eventID() string {
	if a.long != "" {
		return a.long
	}
	return string(a.id[:a.idLen])
}

// held is one actor's activity not yet judged.
type held struct {
	id, email string // the actor (copies)
	acts      []act
	compacted int         // len(acts) after the last compaction
	gone      bool        // dropped from Engine.held (see keyEntry.held)
	hs        [2]*history // the actor's histories (Engine.histories) at statusGen
	statusGen uint64
	typ       string // the type of the last activity held (interned)
	next      int64  // earliest minute end among acts (MaxInt64: none)
	used      int64  // newest activity time held
}

const (
	minute = int64(60e9)
	// maxChanges caps a member's status history within the horizon.
	maxChanges = 16
	// compactAt is the number of held activities of one actor from which
	// they are compacted (see compact).
	compactAt = 256
)

// deactivated records status changes and holds other events as activity of
// their actor. It reports false when the event's suppression period is
// closed (the event is late): a late change is not applied, a late
// activity is not judged.
func (e *Engine) deactivated(r *rule, ev *event.Event, t int64) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	switch statusChange(ev.Type) {
	case +1:
		e.addChange(ev, t, true)
		return true
	case -1:
		e.addChange(ev, t, false)
		return true
	}
	if v := actorKey(ev); v != "" {
		e.hold(r, v, ev, t)
	}
	return true
}

// statusChange is +1 for a deactivation (MemberDeactivated,
// UserDeactivated), -1 for a reactivation, 0 for other event types.
func statusChange(typ string) int {
	switch {
	case strings.Contains(typ, "Deactivated") && (strings.HasPrefix(typ, "Member") || strings.HasPrefix(typ, "User")):
		return +1
	case strings.Contains(typ, "Reactivated"):
		return -1
	}
	return 0
}

// addChange records a status change of the event's target member under its
// id and its email.
func (e *Engine) addChange(ev *event.Event, t int64, deact bool) {
	c := change{at: t, deact: deact}
	for _, k := range [...]string{ev.TargetID, ev.TargetEmail} {
		if k == "" {
			continue
		}
		h := e.status[k]
		if h == nil {
			if len(e.status) >= e.cfg.maxActors {
				e.stats.Dropped++
				continue
			}
			h = &history{}
			e.status[strings.Clone(k)] = h
			e.statusGen++ // a new member: cached lookups are stale
		}
		if c.id == "" {
			c.id = strings.Clone(ev.ID)
		}
		i, found := slices.BinarySearchFunc(h.changes, c, cmpChange)
		if found { // two events, one change: the evidence is the least ID, whatever the order
			if c.id < h.changes[i].id {
				h.changes[i].id = c.id
			}
			continue
		}
		h.changes = slices.Insert(h.changes, i, c)
		if len(h.changes) > maxChanges { // the oldest goes: it rarely matters
			h.changes = slices.Delete(h.changes, 0, 1)
			e.stats.Dropped++
		}
	}
}

func cmpChange(a, b change) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	switch {
	case a.deact == b.deact:
		return 0
	case a.deact:
		return -1 // at one instant, the reactivation wins
	}
	return 1
}

// histories returns the status histories kept under a member's id and
// email (nil when none).
func (e *Engine) histories(id, email string) [2]*history {
	var hs [2]*history
	if len(e.status) == 0 {
		return hs
	}
	if id != "" {
		hs[0] = e.status[id]
	}
	if email != "" {
		hs[1] = e.status[email]
	}
	return hs
}

// deactivatedAt reports whether a member with histories hs was deactivated
// at t: the last deactivation strictly before t, when no reactivation at or
// after it and not after t follows. It returns that deactivation.
func deactivatedAt(hs [2]*history, t int64) (change, bool) {
	var last change
	found := false
	for _, h := range hs {
		if h == nil {
			continue
		}
		for _, c := range h.changes {
			if c.deact && c.at < t && (!found || c.at > last.at) {
				last, found = c, true
			}
		}
	}
	if !found {
		return last, false
	}
	for _, h := range hs {
		if h == nil {
			continue
		}
		for _, c := range h.changes {
			if !c.deact && c.at >= last.at && c.at <= t {
				return last, false
			}
		}
	}
	return last, true
}

// hold keeps ev as activity of actor v until the watermark passes its
// minute.
func (e *Engine) hold(r *rule, v string, ev *event.Event, t int64) {
	ke := e.curActor
	var h *held
	if ke != nil && ke.held != nil && !ke.held.gone {
		h = ke.held
	} else {
		h = e.held[v]
		if h == nil {
			if len(e.held) >= e.cfg.maxActors {
				e.stats.Dropped++
				return
			}
			h = &held{id: strings.Clone(ev.ActorID), email: strings.Clone(ev.ActorEmail), next: math.MaxInt64}
			e.held[ke.nameOf(v)] = h
		}
		if ke != nil {
			ke.held = h
		}
	}
	if h.typ != ev.Type { // an actor often repeats one type
		h.typ = e.typeName(ev.Type)
	}
	a := act{t: t, rule: r.idx, typ: h.typ}
	if len(ev.ID) <= len(a.id) {
		a.idLen = uint8(copy(a.id[:], ev.ID))
	} else {
		a.long = strings.Clone(ev.ID)
	}
	if e.curApp != nil {
		a.app = e.curApp.name
	}
	h.acts = append(h.acts, a)
	h.next = min(h.next, minuteEnd(t))
	h.used = max(h.used, t)
	e.heldNext = min(e.heldNext, h.next)
	if len(h.acts) >= max(compactAt, 2*h.compacted) {
		h.acts = compact(h.acts)
		h.compacted = len(h.acts)
	}
}

func minuteEnd(t int64) int64 { return t - ((t%minute)+minute)%minute + minute }

func cmpAct(a, b act) int {
	if c := cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.t, b.t)); c != 0 {
		return c
	}
	if a.long == "" && b.long == "" { // without converting (and allocating)
		return bytes.Compare(a.id[:a.idLen], b.id[:b.idLen])
	}
	return strings.Compare(a.eventID(), b.eventID())
}

// compact sorts acts and keeps the first and the last of each rule and
// minute: what a judgement reads. Keeping the first and the last is the
// same whatever the order and the moments of compaction, so the memory an
// actor holds is bounded (two per minute) without making the decisions
// depend on the arrival order.
func compact(acts []act) []act {
	slices.SortFunc(acts, cmpAct)
	out := acts[:0]
	for i := range acts {
		first := i == 0 || acts[i-1].rule != acts[i].rule || minuteEnd(acts[i-1].t) != minuteEnd(acts[i].t)
		last := i == len(acts)-1 || acts[i+1].rule != acts[i].rule || minuteEnd(acts[i+1].t) != minuteEnd(acts[i].t)
		if first || last {
			out = append(out, acts[i])
		}
	}
	clear(acts[len(out):])
	return out
}

// judgeHeld judges every held activity whose minute the watermark has
// passed against its actor's status history, and alerts (once per rule,
// actor and suppression period: on the earliest activity of the period
// found after a deactivation). Advance runs it before suppression records
// are dropped.
func (e *Engine) judgeHeld() {
	if e.heldNext > e.wm {
		return
	}
	next := int64(math.MaxInt64)
	from := len(e.out) // this call's alerts are put in ID order
	for v, h := range e.held {
		if h.next > e.wm {
			next = min(next, h.next)
			continue
		}
		if h.statusGen != e.statusGen {
			h.hs, h.statusGen = e.histories(h.id, h.email), e.statusGen
		}
		hs := h.hs
		flag := hs[0] != nil || hs[1] != nil // else never deactivated: nothing to flag
		due, keep := e.split(h, flag)
		next = min(next, h.next)
		clear(h.acts[len(keep):])
		h.acts = keep
		h.compacted = min(h.compacted, len(keep))
		e.due = due[:0]
		for _, a := range compact(due) {
			c, ok := deactivatedAt(hs, a.t)
			if !ok {
				continue
			}
			al := e.eventAlert(e.cfg.rules[a.rule], scopeActor, v, a.t)
			if al == nil {
				continue
			}
			al.Actor, al.ActorEmail, al.Application = h.id, h.email, a.app
			al.Evidence = []string{a.eventID()}
			if c.id != "" {
				al.Evidence = append(al.Evidence, c.id)
			}
			al.Description = fmt.Sprintf("%s by %s after the member was deactivated at %s",
				a.typ, cmp.Or(h.email, cmp.Or(h.id, v)), utc(c.at).Format("2006-01-02 15:04:05Z07:00"))
		}
	}
	clear(e.due[:cap(e.due)])
	e.heldNext = next
	slices.SortFunc(e.out[from:], func(a, b Alert) int { return strings.Compare(a.ID, b.ID) })
}

// split moves h's activity whose minute the watermark has passed to the
// engine's scratch (only when flag is set: else it is dropped) and returns
// it and the rest (in h.acts' array), setting h.next. Activity arrives
// mostly in time order, so the common case moves a prefix.
func (e *Engine) split(h *held, flag bool) (due, keep []act) {
	due = e.due[:0]
	n := 0
	for n < len(h.acts) && minuteEnd(h.acts[n].t) <= e.wm {
		n++
	}
	h.next = math.MaxInt64
	sorted := true
	for i := n; i < len(h.acts); i++ {
		end := minuteEnd(h.acts[i].t)
		if end <= e.wm {
			sorted = false
			break
		}
		h.next = min(h.next, end)
	}
	if sorted { // a due prefix
		if flag {
			due = append(due, h.acts[:n]...)
		}
		return due, h.acts[:copy(h.acts, h.acts[n:])]
	}
	keep = h.acts[:0]
	h.next = math.MaxInt64
	for i := range h.acts {
		a := &h.acts[i] // not a copy: an act is 88 bytes
		switch end := minuteEnd(a.t); {
		case end > e.wm:
			keep = append(keep, *a)
			h.next = min(h.next, end)
		case flag:
			due = append(due, *a)
		}
	}
	return due, keep
}

// pruneStatus drops what the deactivation rule no longer needs: actors
// holding nothing for an hour, and status changes the watermark has passed by more
// than the rules' horizon plus the lateness. Of those, only the last one
// matters to what can still be judged: a deactivation is kept, a
// reactivation dropped (a member without history is active). Changes that
// old are late when they arrive (deactivated), so none can come in before a
// dropped one.
func (e *Engine) pruneStatus() {
	for v, h := range e.held {
		if len(h.acts) == 0 && h.used <= e.wm-hour {
			delete(e.held, v)
			h.gone = true
		}
	}
	cut := e.wm - e.cfg.horizon - e.cfg.lateness
	for k, h := range e.status {
		i := 0
		for i < len(h.changes) && h.changes[i].at <= cut {
			i++
		}
		switch {
		case i == 0:
			continue
		case h.changes[i-1].deact:
			i-- // the last old change stays: a deactivation
		}
		if h.changes = slices.Delete(h.changes, 0, i); len(h.changes) == 0 {
			delete(e.status, k)
			e.statusGen++ // cached lookups are stale
		}
	}
}

// deactivatedMember reports whether the member (id or email) is
// deactivated after every change known.
func (e *Engine) deactivatedMember(id, email string) bool {
	_, ok := deactivatedAt(e.histories(id, email), math.MaxInt64)
	return ok
}
