package pigmentsim

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
)

// store holds every materialised event sorted by (ingestionTimestamp,
// eventId) ascending. Live events are generated lazily: advance(now)
// materialises every event ingested up to now, so the content depends only
// on the seed and the clock, never on when requests arrive. All methods are
// safe for concurrent use.
type store struct {
	cfg *Config // read-only

	mu         sync.Mutex
	evs        []ev
	inj        []injected
	nextSeq    uint32 // seq of the next live event
	nextIngest int64  // its ingestion time (Unix ns); valid when cfg.Rate > 0
}

// newStore pre-generates the backlog: HistoryEvents spread evenly (with
// jitter) over the History before start or, with a plan (Config.Anomalies),
// over the plan's weekday business hours.
func newStore(cfg *Config, start time.Time, p *plan) *store {
	s := &store{cfg: cfg}
	n := cfg.HistoryEvents
	if cfg.History <= 0 {
		n = 0
	}
	s.evs = make([]ev, 0, n+1024)
	from := start.Add(-cfg.History).UnixNano()
	span := float64(cfg.History)
	for i := range n {
		seq := uint32(i)
		r := eventStream(cfg.Seed, seq, streamGap)
		x := float64(i) + r.float()
		at := from + int64(span*x/float64(n))
		if p != nil && p.total > 0 {
			at = p.place(x / float64(n))
		}
		at -= at % int64(time.Millisecond)
		lag, late := cfg.timing(seq)
		s.evs = append(s.evs, ev{ingest: at, seq: seq, lagMs: lag, lateMs: late})
	}
	slices.SortFunc(s.evs, s.cmpEv) // only ties within a millisecond move
	s.nextSeq = uint32(n)
	if cfg.Rate > 0 {
		s.nextIngest = start.UnixNano() + int64(interval(cfg.Seed, s.nextSeq, cfg.Rate))
	}
	return s
}

// advance materialises live events ingested up to now. Callers hold s.mu.
func (s *store) advance(now time.Time) {
	if s.cfg.Rate <= 0 {
		return
	}
	limit := now.UnixNano()
	for s.nextIngest <= limit && s.nextSeq < injectedFlag {
		at := s.nextIngest - s.nextIngest%int64(time.Millisecond)
		lag, late := s.cfg.timing(s.nextSeq)
		s.insert(ev{ingest: at, seq: s.nextSeq, lagMs: lag, lateMs: late})
		s.nextSeq++
		s.nextIngest += int64(interval(s.cfg.Seed, s.nextSeq, s.cfg.Rate))
	}
}

// insert adds e at its sorted position. Callers hold s.mu.
func (s *store) insert(e ev) {
	i := len(s.evs)
	for i > 0 && s.cmpEv(s.evs[i-1], e) > 0 {
		i--
		if s.evs[i].ingest > e.ingest+int64(time.Second) { // far back: binary search instead
			i, _ = slices.BinarySearchFunc(s.evs, e, s.cmpEv)
			break
		}
	}
	s.evs = slices.Insert(s.evs, i, e)
}

func (s *store) addInjected(in Injected) {
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := uint32(len(s.inj)) | injectedFlag
	if in.ID == "" {
		in.ID = genIDString(s.cfg.Seed, idx)
	}
	s.inj = append(s.inj, newInjected(in))
	s.insert(ev{ingest: in.IngestionTime.UnixNano(), seq: idx})
}

// id returns the eventId of e. Callers hold s.mu (or a copy of s.inj).
func (s *store) id(e ev) string {
	if e.injected() {
		return s.inj[e.seq&^injectedFlag].ID
	}
	return genIDString(s.cfg.Seed, e.seq)
}

// visible returns when e becomes visible (Unix ns).
func (s *store) visible(e ev) int64 {
	if e.injected() {
		return s.inj[e.seq&^injectedFlag].visible
	}
	return e.ingest + int64(e.lateMs)*int64(time.Millisecond)
}

// cmpEv orders events by ingestion time, then eventId as a string.
func (s *store) cmpEv(a, b ev) int {
	if c := cmp.Compare(a.ingest, b.ingest); c != 0 {
		return c
	}
	if !a.injected() && !b.injected() {
		ah, al := genID(s.cfg.Seed, a.seq)
		bh, bl := genID(s.cfg.Seed, b.seq)
		if c := cmp.Compare(ah, bh); c != 0 {
			return c
		}
		return cmp.Compare(al, bl)
	}
	return strings.Compare(s.id(a), s.id(b))
}

// cmpKey compares e with the keyset position (ingest, id).
func (s *store) cmpKey(e ev, ingest int64, id string) int {
	if c := cmp.Compare(e.ingest, ingest); c != 0 {
		return c
	}
	return strings.Compare(s.id(e), id)
}

// query selects one page. A page holds events with since <= ingest and
// visible <= snapshot, strictly after the keyset position (afterID != ""),
// in the requested order.
type query struct {
	since, snapshot int64
	afterIngest     int64
	afterID         string
	desc            bool
	limit           int
}

// page appends up to q.limit events to dst and reports whether more match
// after them. It also returns the injected table to render them with (safe to
// read without the lock: entries are never modified).
func (s *store) page(q query, now time.Time, dst []ev) (page []ev, more bool, inj []injected) {
	page = dst
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	for i, step := s.first(q); i >= 0 && i < len(s.evs) && q.within(s.evs[i]); i += step {
		if s.visible(s.evs[i]) > q.snapshot {
			continue
		}
		if len(page)-len(dst) == q.limit {
			return page, true, s.inj
		}
		page = append(page, s.evs[i])
	}
	return page, false, s.inj
}

// first returns the index of the first event that may be on q's page, in
// q's order, and the step to the next one (-1 when descending).
func (s *store) first(q query) (i, step int) {
	byKey := func(e ev, q query) int { return s.cmpKey(e, q.afterIngest, q.afterID) }
	switch {
	case q.desc && q.afterID == "":
		i, _ = slices.BinarySearchFunc(s.evs, q.snapshot, func(e ev, t int64) int { return cmp.Compare(e.ingest, t+1) })
		return i - 1, -1
	case q.desc:
		i, _ = slices.BinarySearchFunc(s.evs, q, byKey)
		return i - 1, -1
	case q.afterID == "":
		i, _ = slices.BinarySearchFunc(s.evs, q.since, func(e ev, t int64) int { return cmp.Compare(e.ingest, t) })
		return i, 1
	}
	i, found := slices.BinarySearchFunc(s.evs, q, byKey)
	if found {
		i++ // strictly after the keyset position
	}
	return i, 1
}

// within reports whether e is inside q's bound on the far side of its
// order: ingested at or after since (descending), or by snapshot
// (ascending).
func (q query) within(e ev) bool {
	if q.desc {
		return e.ingest >= q.since
	}
	return e.ingest <= q.snapshot
}

// visibleIDs returns the IDs of events visible at now and ingested at or
// after since, in ascending order.
func (s *store) visibleIDs(now time.Time, since int64) []string {
	var ids []string
	s.eachVisible(now, since, func(e ev, _ int64) { ids = append(ids, s.id(e)) })
	return ids
}

// eachVisible calls fn, under the lock, with each event visible at now and
// ingested at or after since, in ascending order, and when it became
// visible (Unix ns).
func (s *store) eachVisible(now time.Time, since int64, fn func(e ev, visible int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	limit := now.UnixNano()
	for _, e := range s.evs {
		if v := s.visible(e); e.ingest >= since && v <= limit {
			fn(e, v)
		}
	}
}

func (s *store) count(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	return len(s.evs)
}
