package detect

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"fmt"
	"math"
	"slices"
	"strings"
)

// stateVersion is the version of the MarshalState format. Version 2
// hashes event IDs with idHash (version 1: FNV-1a); a version 1 state is
// refused rather than let replayed events count twice. Version 3 keeps the
// deactivation rule's status histories and held activity (Status, Held)
// instead of a deactivation time and recent events per member (Deact,
// Recent), and the counting rules' sliding windows (Slides) instead of
// tumbling ones. A version 2 state loads: its deactivations become
// histories and its recent events (already checked) are dropped; each of
// its counting windows becomes one step at its last event's time (or the
// first step still open, if that one is passed), so a count in progress is
// kept, spread no wider than before.
// Version 4 adds what members used (Known); a version 2 or 3 state is read
// as having none, and the rules that judge by it learn again for their
// learning period.
const stateVersion = 4

// snapshot is the serialised engine state (encoding/gob). Entries refer to
// rules by index into Rules, so a state saved under one rule set restores
// under another: entries of rules no longer enabled are dropped.
type snapshot struct {
	Version   int
	Rules     []string
	Watermark int64
	LastScan  int64
	Epoch     []int64
	First     int64      // the earliest event time seen (0 in states before version 4's first release: the earliest epoch stands in)
	Cells     []snapCell // spike windows (version 2: every counting window)
	Slides    []snapSlide
	Sup       []snapSup
	Seen      []snapSeen
	Actors    []snapActor
	Baselines []snapBase
	Deact     []snapDeact  // version 2 only
	Recent    []snapRecent // version 2 only
	Status    []snapStatus
	Held      []snapHeld
	Stats     Stats
	Known     []snapKnown
}

type snapKnown struct {
	Rule   uint8
	Actor  string
	Items  []string
	Chains [][]snapChain
}

type snapChain struct {
	Start, End int64
	Decided    bool
	Draft      *draft
}

type snapCell struct {
	Rule, Scope             uint8
	Start, End, First, Last int64
	Value, Email, App       string
	Count, Fails            int
	Emitted                 bool
	Evidence, Distinct      []string
}

type snapSlide struct {
	Rule, Scope uint8
	Value       string
	Email, App  string
	Done, Next  int64
	N           int
	Run         bool
	Steps       []snapStep
}

type snapStep struct {
	Idx          int64
	Count, Fails int
	First, Last  int64
	Evidence     []string
	Apps         []string
}

type snapSup struct {
	Rule, Scope uint8
	Start, End  int64
	Value       string
}

type snapSeen struct {
	Bucket int64
	IDs    []uint64
}

type snapActor struct {
	ID, Email           string
	Countries, IPs      []string // IPs: addresses, in states saved before networks (read only)
	LastLogin, Reported int64
	Networks            []string // netID.String()
}

type snapBase struct {
	Rule, Scope uint8
	Value       string
	Avg         float64
	Last        int64
}

type snapRecent struct {
	Actor, Email string
	Times        []int64
	IDs, Types   []string
	Next         int
}

type snapDeact struct {
	ID string
	At int64
}

type snapStatus struct {
	Member string
	At     []int64
	Deact  []bool
	IDs    []string
}

type snapHeld struct {
	Actor, ID, Email string
	Rules            []uint8
	Times            []int64
	EventIDs, Types  []string
	Apps             []string
}

// MarshalState returns the engine's state: open windows, suppression
// records, recently seen event IDs, per-actor history and baselines,
// deactivated members, the watermark and the counters. The caller saves it
// with the consumed Kafka offsets in one transaction, so a restart resumes
// exactly where the saved offsets do. The encoding is encoding/gob of a
// versioned snapshot with every list sorted: equal states give equal bytes.
func (e *Engine) MarshalState() ([]byte, error) {
	s := snapshot{Version: stateVersion, Rules: e.cfg.ruleNames(), Watermark: e.wm, LastScan: e.lastScan,
		Epoch: slices.Clone(e.epoch), First: e.first, Stats: e.stats}
	for k, c := range e.cells {
		s.Cells = append(s.Cells, snapCell{k.rule, uint8(k.scope), k.start, c.end, c.first, c.last,
			k.value, c.email, c.app, c.count, c.fails, c.emitted, c.evidence(), c.distinct})
	}
	slices.SortFunc(s.Cells, func(a, b snapCell) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Start, b.Start), strings.Compare(a.Value, b.Value))
	})
	for k, sl := range e.slides {
		ss := snapSlide{Rule: k.rule, Scope: uint8(k.scope), Value: k.value, Email: sl.email, App: sl.app,
			Done: sl.done, Next: sl.next, N: sl.n, Run: sl.run}
		for i := range sl.steps {
			st := &sl.steps[i]
			sst := snapStep{Idx: st.idx, Count: st.count, Fails: st.fails, First: st.first, Last: st.last, Apps: st.apps}
			for j := range st.evEnd {
				sst.Evidence = append(sst.Evidence, st.evidenceAt(j))
			}
			ss.Steps = append(ss.Steps, sst)
		}
		s.Slides = append(s.Slides, ss)
	}
	slices.SortFunc(s.Slides, func(a, b snapSlide) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Scope, b.Scope), strings.Compare(a.Value, b.Value))
	})
	for k, end := range e.sup {
		s.Sup = append(s.Sup, snapSup{k.rule, uint8(k.scope), k.start, end, k.value})
	}
	slices.SortFunc(s.Sup, func(a, b snapSup) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Start, b.Start), strings.Compare(a.Value, b.Value))
	})
	for b, ids := range e.seen {
		sn := snapSeen{Bucket: b, IDs: ids.list()}
		slices.Sort(sn.IDs)
		s.Seen = append(s.Seen, sn)
	}
	slices.SortFunc(s.Seen, func(a, b snapSeen) int { return cmp.Compare(a.Bucket, b.Bucket) })
	for id, a := range e.actors {
		sa := snapActor{ID: id, Email: a.email, Countries: a.countries, LastLogin: a.lastLogin, Reported: a.reported}
		for _, n := range a.networks {
			sa.Networks = append(sa.Networks, n.String())
		}
		s.Actors = append(s.Actors, sa)
	}
	slices.SortFunc(s.Actors, func(a, b snapActor) int { return strings.Compare(a.ID, b.ID) })
	for k, b := range e.baselines {
		s.Baselines = append(s.Baselines, snapBase{k.rule, uint8(k.scope), k.value, b.avg, b.last})
	}
	slices.SortFunc(s.Baselines, func(a, b snapBase) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Scope, b.Scope), strings.Compare(a.Value, b.Value))
	})
	for k, h := range e.status {
		st := snapStatus{Member: k}
		for _, c := range h.changes {
			st.At, st.Deact, st.IDs = append(st.At, c.at), append(st.Deact, c.deact), append(st.IDs, c.id)
		}
		s.Status = append(s.Status, st)
	}
	slices.SortFunc(s.Status, func(a, b snapStatus) int { return strings.Compare(a.Member, b.Member) })
	for v, h := range e.held {
		if len(h.acts) == 0 {
			continue
		}
		sh := snapHeld{Actor: v, ID: h.id, Email: h.email}
		for _, a := range compact(slices.Clone(h.acts)) {
			sh.Rules, sh.Times = append(sh.Rules, a.rule), append(sh.Times, a.t)
			sh.EventIDs, sh.Types, sh.Apps = append(sh.EventIDs, a.eventID()), append(sh.Types, a.typ), append(sh.Apps, a.app)
		}
		s.Held = append(s.Held, sh)
	}
	slices.SortFunc(s.Held, func(a, b snapHeld) int { return strings.Compare(a.Actor, b.Actor) })
	for k, ks := range e.known {
		sk := snapKnown{Rule: k.rule, Actor: k.actor, Items: ks.items}
		for _, cs := range ks.chains {
			var sc []snapChain
			for _, c := range cs {
				sc = append(sc, snapChain{c.start, c.end, c.decided, c.draft})
			}
			sk.Chains = append(sk.Chains, sc)
		}
		s.Known = append(s.Known, sk)
	}
	slices.SortFunc(s.Known, func(a, b snapKnown) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), strings.Compare(a.Actor, b.Actor))
	})
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		return nil, fmt.Errorf("detect: marshal state: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalState replaces the engine's state with one saved by
// MarshalState, possibly under another rule set (see snapshot). On error
// the engine is unchanged.
func (e *Engine) UnmarshalState(data []byte) error {
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("detect: unmarshal state: %w", err)
	}
	if s.Version < 2 || s.Version > stateVersion {
		return fmt.Errorf("detect: unmarshal state: version %d, want 2 to %d", s.Version, stateVersion)
	}
	if len(s.Epoch) != len(s.Rules) {
		return fmt.Errorf("detect: unmarshal state: %d epochs for %d rules", len(s.Epoch), len(s.Rules))
	}
	fresh, _ := NewEngine(RuleSet{}) // empty maps; cfg and caches below are e's
	n := *fresh
	n.cfg, n.types, n.winCache, n.supCache, n.zones = e.cfg, e.types, e.winCache, e.supCache, e.zones
	n.wsRefs = make([]cellRef, e.cfg.slots)
	n.swept = make([]int64, len(e.swept))
	n.epoch = make([]int64, len(e.epoch))
	for i := range n.epoch {
		n.epoch[i] = math.MaxInt64
	}
	idx := map[int]uint8{} // saved rule index -> current index
	for i, name := range s.Rules {
		for j, r := range e.cfg.rules {
			if r.ID == name {
				idx[i] = uint8(j)
				n.epoch[j] = s.Epoch[i]
			}
		}
	}
	n.wm, n.lastScan, n.stats = s.Watermark, s.LastScan, s.Stats
	n.first = s.First
	if n.first == 0 {
		n.first = slices.Min(append([]int64{math.MaxInt64}, n.epoch...))
	}
	n.nextClose = math.MaxInt64
	for i, r := range e.cfg.rules {
		n.swept[i] = n.lastFinal(r)
	}
	for _, x := range s.Slides {
		if j, ok := idx[int(x.Rule)]; ok {
			if err := n.restoreSlide(j, x); err != nil {
				return err
			}
		}
	}
	for _, c := range s.Cells {
		if j, ok := idx[int(c.Rule)]; ok && sliding(e.cfg.rules[j].det) {
			n.slideFromCell(j, c)
		} else if ok {
			nc := n.freeCells.get(&n.cellGen)
			nc.start, nc.end, nc.count, nc.fails, nc.first, nc.last = c.Start, c.End, c.Count, c.Fails, c.First, c.Last
			nc.emitted, nc.email, nc.app, nc.distinct = c.Emitted, c.Email, c.App, c.Distinct
			nc.setEvidence(c.Evidence)
			n.cells[cellKey{j, scope(c.Scope), c.Start, c.Value}] = nc
			n.nextClose = min(n.nextClose, c.End)
		}
	}
	for _, sl := range n.slides {
		sl.recount()
		if r := n.cfg.rules[sl.key.rule]; !sl.quiet(r) {
			sl.loud = true
			n.loud = append(n.loud, sl)
		}
	}
	slices.SortFunc(n.loud, func(a, b *slide) int { return cmpBaseKey(a.key, b.key) })
	for _, x := range s.Sup {
		if j, ok := idx[int(x.Rule)]; ok {
			n.sup[supKey{j, scope(x.Scope), x.Start, x.Value}] = x.End
			n.supNext = min(n.supNext, x.End)
		}
	}
	for _, x := range s.Seen {
		m := &idSet{}
		for _, id := range x.IDs {
			m.add(id)
		}
		n.seen[x.Bucket] = m
	}
	for _, a := range s.Actors {
		n.actors[a.ID] = &actor{countries: a.Countries, networks: e.cfg.restoreNetworks(a), lastLogin: a.LastLogin, reported: a.Reported, email: a.Email}
	}
	for _, b := range s.Baselines {
		if j, ok := idx[int(b.Rule)]; ok {
			n.baselines[baseKey{j, scope(b.Scope), b.Value}] = &ewma{avg: b.Avg, last: b.Last}
		}
	}
	for _, x := range s.Known {
		j, ok := idx[int(x.Rule)]
		if !ok || e.cfg.rules[j].known == 0 || len(x.Items) != len(x.Chains) || len(x.Items) > knownCap {
			continue
		}
		ks := &knownSet{rule: j, actor: x.Actor, items: x.Items, chains: make([][]chain, len(x.Chains))}
		for i, sc := range x.Chains {
			for _, c := range sc {
				ks.chains[i] = append(ks.chains[i], chain{c.Start, c.End, c.Decided, c.Draft})
				if !c.Decided {
					n.knownNext = min(n.knownNext, c.Start)
					if !ks.pending {
						ks.pending = true
						n.knownPend = append(n.knownPend, ks)
					}
				}
			}
		}
		n.known[knownKey{j, x.Actor}] = ks
	}
	for _, d := range s.Deact { // version 2: a deactivation time per member
		n.status[d.ID] = &history{changes: []change{{at: d.At, deact: true}}}
	}
	for _, x := range s.Status {
		if len(x.Deact) != len(x.At) || len(x.IDs) != len(x.At) {
			return fmt.Errorf("detect: unmarshal state: status of %s: %d times, %d changes, %d IDs", x.Member, len(x.At), len(x.Deact), len(x.IDs))
		}
		h := make([]change, len(x.At))
		for i := range h {
			h[i] = change{at: x.At[i], deact: x.Deact[i], id: x.IDs[i]}
		}
		n.status[x.Member] = &history{changes: h}
	}
	for _, x := range s.Held {
		if len(x.Times) != len(x.Rules) || len(x.EventIDs) != len(x.Rules) || len(x.Types) != len(x.Rules) || len(x.Apps) != len(x.Rules) {
			return fmt.Errorf("detect: unmarshal state: held activity of %s: lists of unequal length", x.Actor)
		}
		h := &held{id: x.ID, email: x.Email, next: math.MaxInt64}
		for i, ri := range x.Rules {
			j, ok := idx[int(ri)]
			if !ok {
				continue
			}
			a := act{t: x.Times[i], rule: j, typ: n.typeName(x.Types[i]), app: x.Apps[i]}
			if id := x.EventIDs[i]; len(id) <= len(a.id) {
				a.idLen = uint8(copy(a.id[:], id))
			} else {
				a.long = id
			}
			h.acts = append(h.acts, a)
			h.next, h.used = min(h.next, minuteEnd(a.t)), max(h.used, a.t)
			n.heldNext = min(n.heldNext, h.next)
		}
		h.compacted = len(h.acts)
		n.held[x.Actor] = h
	}
	*e = n
	return nil
}

// restoreSlide restores a saved slide of rule j.
func (e *Engine) restoreSlide(j uint8, x snapSlide) error {
	if x.N < 0 || x.N > len(x.Steps) || !slices.IsSortedFunc(x.Steps, func(a, b snapStep) int { return cmp.Compare(a.Idx, b.Idx) }) {
		return fmt.Errorf("detect: unmarshal state: slide %d/%s: %d of %d steps decided, or steps out of order", j, x.Value, x.N, len(x.Steps))
	}
	sl := e.freeSlides.get(&e.cellGen)
	sl.email, sl.app, sl.done, sl.next, sl.run = x.Email, x.App, x.Done, x.Next, x.Run
	for _, st := range x.Steps {
		sl.steps = append(sl.steps, step{idx: st.Idx, count: st.Count, fails: st.Fails, first: st.First, last: st.Last, apps: st.Apps})
		s := &sl.steps[len(sl.steps)-1]
		for _, id := range st.Evidence {
			s.addEvidence(id, math.MaxInt)
		}
	}
	sl.n = x.N
	sl.key = baseKey{j, scope(x.Scope), x.Value}
	e.slides[sl.key] = sl
	return nil
}

// slideFromCell turns a counting window of a version 2 state into one
// step of its key's slide: at its last event's step, or the first step
// still open when the watermark has passed that one.
func (e *Engine) slideFromCell(j uint8, c snapCell) {
	r := e.cfg.rules[j]
	k := baseKey{j, scope(c.Scope), c.Value}
	sl := e.slides[k]
	if sl == nil {
		sl = e.freeSlides.get(&e.cellGen)
		sl.done, sl.email, sl.app, sl.key = e.lastFinal(r), c.Email, c.App, k
		e.slides[k] = sl
	}
	idx := max(floorDiv(c.Last, r.hop), e.lastFinal(r)+1)
	i, found := slices.BinarySearchFunc(sl.steps, idx, func(s step, t int64) int { return cmp.Compare(s.idx, t) })
	if !found {
		sl.steps = slices.Insert(sl.steps, i, step{idx: idx, first: c.First, last: c.Last})
	}
	st := &sl.steps[i]
	st.count, st.fails = st.count+c.Count, st.fails+c.Fails
	st.first, st.last = min(st.first, c.First), max(st.last, c.Last)
	ids := c.Evidence
	if r.det == detDistinct {
		ids = ids[:min(len(ids), len(c.Distinct))]
		for n, app := range c.Distinct[:len(ids)] {
			if !slices.Contains(st.apps, app) {
				st.apps = append(st.apps, app)
				st.addEvidence(ids[n], math.MaxInt)
			}
		}
		return
	}
	for _, id := range ids {
		st.addEvidence(id, e.cfg.evidenceCap)
	}
}

func cmpBaseKey(a, b baseKey) int {
	return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.scope, b.scope), strings.Compare(a.value, b.value))
}
