package detect

import (
	"cmp"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
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
	cfg   *compiled
	types map[string]*typeInfo // event type -> the rules it concerns, interned name

	cells      map[cellKey]*cell       // open spike windows
	slides     map[baseKey]*slide      // sliding windows of the counting rules
	swept      []int64                 // per rule: the last step slideNow decided
	freeSlides freeList[slide, *slide] // dropped slides for reuse
	loud       []*slide                // slides a window of which may be over the threshold
	slidePrune int64                   // watermark at which slideNow next drops empty slides
	appScratch []string                // scratch for counts
	nextClose  int64                   // earliest end among cells (MaxInt64: none)
	sup        map[supKey]int64        // alerts emitted: (rule, key, period) -> period end
	supNext    int64                   // earliest end among sup (MaxInt64: none)
	seen       map[int64]*idSet        // hour of event time -> hashes of the event IDs counted
	seenB      int64                   // the hour of seenS
	seenS      *idSet                  // the set of the last hour looked up (nil: none)
	actors     map[string]*actor       // location history and last login
	baselines  map[baseKey]*ewma       // spike baselines
	status     map[string]*history     // deactivation rule: member id or email -> status history
	held       map[string]*held        // deactivation rule: actor -> activity not yet judged
	heldNext   int64                   // earliest minute end among held (MaxInt64: none)
	statusGen  uint64                  // changes whenever a key of status comes or goes
	due        []act                   // scratch for judgeHeld
	keys       map[string]*keyEntry    // per-key cache (actors, applications)
	wsRefs     []cellRef               // per counting slot: the workspace's current cell
	freeCells  freeList[cell, *cell]   // closed cells for reuse
	closing    []closing               // scratch for closeCells
	cellGen    uint64                  // generation of the last cell or slide handed out
	curActor   *keyEntry               // the event's actor (nil: none), during Process
	curApp     *keyEntry               // the event's application (nil: none)
	epoch      []int64                 // per rule: the earliest window start seen (spike warm-up)
	first      int64                   // the earliest event time seen: learning periods count from it
	wm         int64                   // watermark, Unix ns
	bound      int64                   // SetBound's time, Unix ns (MinInt64: none)
	lastScan   int64                   // watermark of the last inactive-members scan
	winCache   []periods               // per rule
	zones      []zoneCache             // per rule (off-hours)
	supCache   []periods               // per rule
	stats      Stats
	out        []Alert

	known     map[knownKey]*knownSet // what each member used recently, per rule with a known period
	knownPend []*knownSet            // those with chains not decided yet
	knownNext int64                  // earliest start of such a chain (MaxInt64: none)
}

// Stats counts what an Engine saw. Late events fell into a window already
// decided (watermark past its end) for at least one rule; Duplicates had an
// eventId already counted; Dropped are actors not tracked because
// RuleSet.MaxActors was reached; Untimed events had no timestamp, or one
// before 1700 or from 2200 on (see minTime); Future events were dated more
// than RuleSet.MaxFuture after the caller's bound (see SetBound). Untimed and Future events enter no window.
type Stats struct {
	Events, Late, Duplicates, Dropped, Untimed, Alerts, Suppressed int64
	Future                                                         int64
}

// The event times the engine places on its timeline. Unix nanoseconds hold
// 1678 to 2262 only, and windows, suppression periods and the replay check
// add days to a time: outside this range an event cannot be a genuine
// audit event, and is counted as untimed rather than let the arithmetic
// wrap (a year-1600 event once raised an alert, a year-2300 one came out
// negative).
var (
	minTime = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// inRange reports whether t is within [minTime, maxTime).
func inRange(t time.Time) bool { return !t.Before(minTime) && t.Before(maxTime) }

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
	gen         uint64   // changes when the cell closes (see cellRef)
	email, app  string   // for the alert: actor email, application name
	idArena              // evidence: event IDs, capped
	distinct    []string // distinct applications (broad access), capped
}

// typeInfo is what the engine knows about an event type.
type typeInfo struct {
	mask uint64 // bit set of the rules it concerns
	name string // interned copy
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
		types:     map[string]*typeInfo{},
		cells:     map[cellKey]*cell{},
		slides:    map[baseKey]*slide{},
		swept:     make([]int64, n),
		nextClose: math.MaxInt64,
		sup:       map[supKey]int64{},
		supNext:   math.MaxInt64,
		seen:      map[int64]*idSet{},
		actors:    map[string]*actor{},
		baselines: map[baseKey]*ewma{},
		status:    map[string]*history{},
		held:      map[string]*held{},
		heldNext:  math.MaxInt64,
		statusGen: 1,
		known:     map[knownKey]*knownSet{},
		knownNext: math.MaxInt64,
		keys:      map[string]*keyEntry{},
		wsRefs:    make([]cellRef, cfg.slots),
		epoch:     make([]int64, n),
		wm:        math.MinInt64,
		bound:     math.MinInt64,
		lastScan:  math.MinInt64,
		first:     math.MaxInt64,
		winCache:  make([]periods, n),
		zones:     make([]zoneCache, n),
		supCache:  make([]periods, n),
	}
	for i := range e.epoch {
		e.epoch[i] = math.MaxInt64
		e.swept[i] = math.MinInt64
	}
	return e, nil
}

// SetBound tells the engine the newest time a genuine event can have at
// this point of the stream (detect: the Kafka timestamp of the record at
// hand, when extract produced it: an event happens before it is ingested,
// and is ingested before it is fetched); the zero time
// withdraws it. Process counts events dated more than MaxFuture after it
// as Future, and keeps them out of every window: a source whose clock runs
// ahead must not open windows that nothing closes (nor hold their state:
// 300 such events among 100,000 an hour once held 602 MiB). Without a
// bound, only the range of minTime and maxTime applies.
func (e *Engine) SetBound(t time.Time) {
	e.bound = math.MinInt64
	if !t.IsZero() && inRange(t) {
		e.bound = t.UnixNano()
	}
}

// MaxFuture returns the rule set's maxFuture (see SetBound).
func (e *Engine) MaxFuture() time.Duration { return time.Duration(e.cfg.maxFuture) }

// maxLookback is how far before its record's time (SetBound) an event can
// have happened: the API serves 180 days back by ingestion time, and an
// event is ingested within hours of happening. An older event time is a bad
// one: it must not start the rules' learning day decades early.
const maxLookback = 181 * 24 * int64(time.Hour)

// futureLimit returns the latest event time Process accepts.
//
// Only the caller's bound says how far the stream reaches: the watermark
// does not (a quiet weekend leaves it two days behind the next event), so
// without a bound only the range of minTime and maxTime applies.
func (e *Engine) futureLimit() int64 {
	if e.bound == math.MinInt64 || e.bound > math.MaxInt64-e.cfg.maxFuture {
		return math.MaxInt64
	}
	return e.bound + e.cfg.maxFuture
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
// An event with no time, or one outside [minTime, maxTime), is counted in
// Stats.Untimed, and one dated too far after the caller's bound in
// Stats.Future (see SetBound); neither enters a window.
// An event whose eventId was already counted (a replay within the rules'
// longest window) is ignored. For each rule, an event whose window has
// already been closed by Advance is ignored and counted in Stats.Late.
// Event types are open: a type no rule knows only feeds the spike rule.
// Process keeps no reference to ev or its Raw bytes.
func (e *Engine) Process(ev *event.Event) []Alert {
	e.out = nil
	e.stats.Events++
	ts := ev.Time
	if ts.IsZero() {
		ts = ev.Ingested
	}
	if ts.IsZero() || !inRange(ts) {
		e.stats.Untimed++
		return nil
	}
	t := ts.UnixNano()
	if t > e.futureLimit() {
		e.stats.Future++
		return nil
	}
	if e.duplicate(ev.ID, t) {
		e.stats.Duplicates++
		return nil
	}
	if t > e.wm && (e.bound == math.MinInt64 || t >= e.bound-maxLookback) {
		e.first = min(e.first, t) // a late or impossibly old event teaches no rule anything
	}
	mask := e.rulesFor(ev.Type).mask
	if mask == 0 {
		return nil
	}
	// Look the event's keys up once: rules reach their state through them.
	e.curActor, e.curApp = nil, nil
	if v := actorKey(ev); v != "" {
		e.curActor = e.entry(v, t)
	}
	if v := cmp.Or(ev.AppID, ev.AppName); v != "" {
		e.curApp = e.entry(v, t)
	}
	late := false
	for ; mask != 0; mask &= mask - 1 {
		r := e.cfg.rules[bits.TrailingZeros64(mask)]
		if r.allow != nil && e.allowed(r, ev) {
			continue
		}
		if !apply[r.det](e, r, ev, t) {
			late = true
		}
	}
	e.curActor, e.curApp = nil, nil
	if late {
		e.stats.Late++
	}
	return e.out
}

// apply runs each detector on one event: indexed by rule.det, each
// reports false if the event was late for the rule.
var apply = [...]func(e *Engine, r *rule, ev *event.Event, t int64) bool{
	detOffHours: (*Engine).offHours, detLocation: (*Engine).location, detThreshold: (*Engine).threshold,
	detDistinct: (*Engine).distinct, detSpike: (*Engine).spike, detPrivilege: (*Engine).privilege,
	detMatch: (*Engine).matchRule, detFailed: (*Engine).failedLogin, detInactive: (*Engine).login,
	detDeactivated: (*Engine).deactivated,
}

// Advance moves the event-time watermark: the caller promises that events
// older than it are late. Callers pass the newest event time seen minus
// Lateness (the engine does not add lateness again). Advance closes every
// window whose end is at or before the watermark, decides the rules that
// need a whole window (activity spike, failed-login share), reports members
// inactive for longer than the rule's inactivity (checked at most once per
// hour of event time), and drops state no open window needs. A watermark
// not after the previous one, or outside [minTime, maxTime), does nothing.
func (e *Engine) Advance(watermark time.Time) []Alert {
	e.out = nil
	if !inRange(watermark) {
		return nil // no genuine watermark is out of the event range
	}
	w := watermark.UnixNano()
	if w <= e.wm {
		return nil
	}
	e.decideKnown(w) // before the watermark moves: it feeds windows still pending
	e.wm = w
	if w >= e.nextClose {
		e.closeCells()
	}
	e.slideNow()
	e.judgeHeld()
	e.prune()
	if w-e.lastScan >= hour || e.lastScan == math.MinInt64 {
		e.lastScan = w
		e.scanInactive()
	}
	return e.out
}

// rulesFor returns the rules an event type concerns and its interned
// name, cached per type.
func (e *Engine) rulesFor(typ string) *typeInfo {
	if ti := e.types[typ]; ti != nil {
		return ti
	}
	ti := &typeInfo{name: strings.Clone(typ)}
	for i, r := range e.cfg.rules {
		if r.match.match(typ) {
			ti.mask |= 1 << i
		}
	}
	if len(e.types) < 4096 { // event types are few; do not grow without bound
		e.types[ti.name] = ti
	}
	return ti
}

// typeName returns a copy of typ that does not alias an event's bytes,
// interned: event types are few.
func (e *Engine) typeName(typ string) string { return e.rulesFor(typ).name }

// window returns the counting window of rule r holding t.
func (e *Engine) window(r *rule, t int64) (int64, int64) {
	return e.winCache[r.idx].get(t, r.window, r.winDaily, r.loc)
}

// period returns the suppression period of rule r holding t.
func (e *Engine) period(r *rule, t int64) (int64, int64) {
	return e.supCache[r.idx].get(t, r.sup, r.supDaily, r.loc)
}
