package detect

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// Detector kinds, in the order of the detectors list.
const (
	detOffHours = iota
	detLocation
	detThreshold
	detDistinct
	detSpike
	detPrivilege
	detMatch
	detFailed
	detInactive
	detDeactivated
)

// Engine runs a rule set over a stream of events. It is not safe for
// concurrent use: one goroutine owns it (detect runs one per partition or
// one for the topic).
type Engine struct {
	cfg   *config
	types map[string]uint64 // event type -> bit set of the rules it concerns

	cells     map[cellKey]*cell // open counting windows
	nextClose int64             // earliest end among cells (MaxInt64: none)
	sup       map[supKey]int64  // alerts emitted: (rule, key, period) -> period end
	seen      map[int64]map[uint64]struct{}
	actors    map[string]*actor  // location history and last login
	baselines map[baseKey]*ewma  // spike baselines
	deact     map[string]int64   // deactivated member -> deactivation time
	recent    map[string]*recent // deactivation rule: last events per actor
	typeNames map[string]string  // interned event types
	epoch     []int64            // per rule: the earliest window start seen (spike warm-up)
	wm        int64              // watermark, Unix ns
	lastScan  int64              // watermark of the last inactive-members scan
	winCache  []periods          // per rule
	supCache  []periods          // per rule
	stats     Stats
	out       []Alert
}

// Stats counts what an Engine saw. Late events fell into a window already
// decided (watermark past its end) for at least one rule; Duplicates had an
// eventId already counted; Dropped are actors not tracked because
// RuleSet.MaxActors was reached; Untimed events had no timestamp.
type Stats struct {
	Events, Late, Duplicates, Dropped, Untimed, Alerts, Suppressed int64
}

// cellKey names one counting window: rule, scope, window start and the
// scope's value (actor or application id; empty for the workspace).
type cellKey struct {
	rule  uint8
	scope scope
	start int64
	value string
}

// cell counts the events of one window.
type cell struct {
	start, end  int64
	count       int
	fails       int // failed logins
	first, last int64
	emitted     bool
	email, app  string   // for the alert: actor email, application name
	evidence    []string // event IDs, capped
	distinct    []string // distinct applications (broad access), capped
}

// supKey names one suppression period of one rule and key.
type supKey struct {
	rule  uint8
	scope scope
	start int64
	value string
}

const hour = int64(time.Hour)

// NewEngine checks rules and returns an engine with empty state.
func NewEngine(rules RuleSet) (*Engine, error) {
	cfg, err := compile(rules)
	if err != nil {
		return nil, err
	}
	n := len(cfg.rules)
	e := &Engine{
		cfg:       cfg,
		types:     map[string]uint64{},
		cells:     map[cellKey]*cell{},
		nextClose: math.MaxInt64,
		sup:       map[supKey]int64{},
		seen:      map[int64]map[uint64]struct{}{},
		actors:    map[string]*actor{},
		baselines: map[baseKey]*ewma{},
		deact:     map[string]int64{},
		recent:    map[string]*recent{},
		typeNames: map[string]string{},
		epoch:     make([]int64, n),
		wm:        math.MinInt64,
		lastScan:  math.MinInt64,
		winCache:  make([]periods, n),
		supCache:  make([]periods, n),
	}
	for i := range e.epoch {
		e.epoch[i] = math.MaxInt64
	}
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats { return e.stats }

// Watermark returns the last watermark passed to Advance (zero if none).
func (e *Engine) Watermark() time.Time {
	if e.wm == math.MinInt64 {
		return time.Time{}
	}
	return utc(e.wm)
}

// Lateness returns the rule set's lateness: callers pass Advance the newest
// event time seen minus it.
func (e *Engine) Lateness() time.Duration { return time.Duration(e.cfg.lateness) }

// Process counts one event and returns the alerts it decides at once: a
// threshold crossed in an open window, or a rule matching this one event
// (off-hours, new location, escalation, ...), each subject to suppression.
// The returned slice is the caller's; it is nil when there is none, and
// the common event is processed without allocating.
//
// An event whose eventId was already counted (a replay within the rules'
// longest window) is ignored. For each rule, an event whose window has
// already been closed by Advance is ignored and counted in Stats.Late.
// Event types are open: a type no rule knows only feeds the spike rule.
// Process keeps no reference to ev or its Raw bytes.
func (e *Engine) Process(ev *transform.Event) []Alert {
	e.out = nil
	e.stats.Events++
	ts := ev.Time
	if ts.IsZero() {
		ts = ev.Ingested
	}
	if ts.IsZero() {
		e.stats.Untimed++
		return nil
	}
	t := ts.UnixNano()
	if e.duplicate(ev.ID, t) {
		e.stats.Duplicates++
		return nil
	}
	late := false
	for mask := e.rulesFor(ev.Type); mask != 0; mask &= mask - 1 {
		r := e.cfg.rules[bits.TrailingZeros64(mask)]
		if !e.apply(r, ev, t) {
			late = true
		}
	}
	if late {
		e.stats.Late++
	}
	return e.out
}

// apply runs one rule on one event and reports false if the event was
// late for it.
func (e *Engine) apply(r *rule, ev *transform.Event, t int64) bool {
	switch r.det {
	case detOffHours:
		return e.offHours(r, ev, t)
	case detLocation:
		return e.location(r, ev, t)
	case detThreshold:
		return e.threshold(r, ev, t)
	case detDistinct:
		return e.distinct(r, ev, t)
	case detSpike:
		return e.spike(r, ev, t)
	case detPrivilege:
		return e.privilege(r, ev, t)
	case detMatch:
		return e.matchRule(r, ev, t)
	case detFailed:
		return e.failedLogin(r, ev, t)
	case detInactive:
		return e.login(r, ev, t)
	case detDeactivated:
		return e.deactivated(r, ev, t)
	}
	return true
}

// Advance moves the event-time watermark: the caller promises that events
// older than it are late. Callers pass the newest event time seen minus
// Lateness (the engine does not add lateness again). Advance closes every
// window whose end is at or before the watermark, decides the rules that
// need a whole window (activity spike, failed-login share), reports members
// inactive for longer than the rule's inactivity (checked at most once per
// hour of event time), and drops state no open window needs. A watermark
// not after the previous one does nothing.
func (e *Engine) Advance(watermark time.Time) []Alert {
	e.out = nil
	w := watermark.UnixNano()
	if w <= e.wm {
		return nil
	}
	e.wm = w
	if w >= e.nextClose {
		e.closeCells()
	}
	e.prune()
	if w-e.lastScan >= hour || e.lastScan == math.MinInt64 {
		e.lastScan = w
		e.scanInactive()
	}
	return e.out
}

// rulesFor returns the rules an event type concerns, cached per type.
func (e *Engine) rulesFor(typ string) uint64 {
	if m, ok := e.types[typ]; ok {
		return m
	}
	var m uint64
	for i, r := range e.cfg.rules {
		if r.match.match(typ) {
			m |= 1 << i
		}
	}
	if len(e.types) < 4096 { // event types are few; do not grow without bound
		e.types[strings.Clone(typ)] = m
	}
	return m
}

// typeName returns a copy of typ that does not alias an event's bytes,
// interned: event types are few.
func (e *Engine) typeName(typ string) string {
	if s, ok := e.typeNames[typ]; ok {
		return s
	}
	s := strings.Clone(typ)
	if len(e.typeNames) < 4096 {
		e.typeNames[s] = s
	}
	return s
}

// window returns the counting window of rule r holding t.
func (e *Engine) window(r *rule, t int64) (int64, int64) {
	return e.winCache[r.idx].get(t, r.window, r.winDaily, r.loc)
}

// period returns the suppression period of rule r holding t.
func (e *Engine) period(r *rule, t int64) (int64, int64) {
	return e.supCache[r.idx].get(t, r.sup, r.supDaily, r.loc)
}

// cellFor returns the cell of rule r, scope s and value v for the window
// holding t, creating it, or nil when that window is closed.
func (e *Engine) cellFor(r *rule, s scope, v string, t int64, ev *transform.Event) *cell {
	start, end := e.window(r, t)
	if end <= e.wm {
		return nil
	}
	k := cellKey{rule: r.idx, scope: s, start: start, value: v}
	c := e.cells[k]
	if c == nil {
		k.value = strings.Clone(v)
		c = &cell{start: start, end: end, first: t, last: t}
		if s == scopeActor {
			c.email = strings.Clone(ev.ActorEmail)
		} else if s == scopeApp {
			c.app = strings.Clone(cmpOr(ev.AppName, ev.AppID))
		}
		e.cells[k] = c
		e.nextClose = min(e.nextClose, end)
	}
	return c
}

// add counts ev in c.
func (c *cell) add(ev *transform.Event, t int64, evidenceCap int) {
	c.count++
	c.first, c.last = min(c.first, t), max(c.last, t)
	if len(c.evidence) < evidenceCap {
		c.evidence = append(c.evidence, strings.Clone(ev.ID))
	}
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
	type closing struct {
		k cellKey
		c *cell
	}
	var done []closing
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
		case detFailed:
			e.closeFailed(r, d.k, d.c)
		}
		delete(e.cells, d.k)
	}
	e.nextClose = next
}

// prune drops suppression records and seen event IDs that no open window
// can need any more.
func (e *Engine) prune() {
	for k, end := range e.sup {
		if end <= e.wm {
			delete(e.sup, k)
		}
	}
	keep := e.cfg.horizon + 2*hour // a day window may last 25h (DST)
	for b := range e.seen {
		if b+hour+keep <= e.wm {
			delete(e.seen, b)
		}
	}
}

// duplicate reports whether an event with this ID and time was already
// counted, and remembers it. IDs are kept per hour of event time, for as
// long as a rule's window or suppression period may hold the event.
func (e *Engine) duplicate(id string, t int64) bool {
	h := fnv64(id)
	b := t - ((t%hour)+hour)%hour
	s := e.seen[b]
	if s == nil {
		if b+hour+e.cfg.horizon+2*hour <= e.wm {
			return false // too old to be counted anywhere: late
		}
		s = map[uint64]struct{}{}
		e.seen[b] = s
	}
	if _, ok := s[h]; ok {
		return true
	}
	s[h] = struct{}{}
	return false
}

// fnv64 is FNV-1a: stable across processes, so saved IDs stay valid.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// actorKey returns the value actor-scoped rules key an event by: the
// member id, else the email.
func actorKey(ev *transform.Event) string { return cmpOr(ev.ActorID, ev.ActorEmail) }
