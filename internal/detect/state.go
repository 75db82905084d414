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
// refused rather than let replayed events count twice. Version 3 adds what
// members used recently (Known); a version 2 state is read as having none,
// and the rules that judge by it learn again for their learning period.
const stateVersion = 3

// snapshot is the serialised engine state (encoding/gob). Entries refer to
// rules by index into Rules, so a state saved under one rule set restores
// under another: entries of rules no longer enabled are dropped.
type snapshot struct {
	Version   int
	Rules     []string
	Watermark int64
	LastScan  int64
	Epoch     []int64
	Cells     []snapCell
	Sup       []snapSup
	Seen      []snapSeen
	Actors    []snapActor
	Baselines []snapBase
	Deact     []snapDeact
	Recent    []snapRecent
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

// MarshalState returns the engine's state: open windows, suppression
// records, recently seen event IDs, per-actor history and baselines,
// deactivated members, the watermark and the counters. The caller saves it
// with the consumed Kafka offsets in one transaction, so a restart resumes
// exactly where the saved offsets do. The encoding is encoding/gob of a
// versioned snapshot with every list sorted: equal states give equal bytes.
func (e *Engine) MarshalState() ([]byte, error) {
	s := snapshot{Version: stateVersion, Rules: e.cfg.ruleNames(), Watermark: e.wm, LastScan: e.lastScan,
		Epoch: slices.Clone(e.epoch), Stats: e.stats}
	for k, c := range e.cells {
		s.Cells = append(s.Cells, snapCell{k.rule, uint8(k.scope), k.start, c.end, c.first, c.last,
			k.value, c.email, c.app, c.count, c.fails, c.emitted, c.evidence(), c.distinct})
	}
	slices.SortFunc(s.Cells, func(a, b snapCell) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Start, b.Start), strings.Compare(a.Value, b.Value))
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
	for id, at := range e.deact {
		s.Deact = append(s.Deact, snapDeact{id, at})
	}
	slices.SortFunc(s.Deact, func(a, b snapDeact) int { return strings.Compare(a.ID, b.ID) })
	for v, rc := range e.recent {
		sr := snapRecent{Actor: v, Email: rc.email, Times: rc.times[:], Types: rc.types[:], Next: rc.next}
		for i := range rc.ids {
			sr.IDs = append(sr.IDs, string(rc.ids[i][:rc.idLen[i]]))
		}
		s.Recent = append(s.Recent, sr)
	}
	slices.SortFunc(s.Recent, func(a, b snapRecent) int { return strings.Compare(a.Actor, b.Actor) })
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
	if s.Version != stateVersion && s.Version != 2 {
		return fmt.Errorf("detect: unmarshal state: version %d, want %d", s.Version, stateVersion)
	}
	if len(s.Epoch) != len(s.Rules) {
		return fmt.Errorf("detect: unmarshal state: %d epochs for %d rules", len(s.Epoch), len(s.Rules))
	}
	fresh, _ := NewEngine(RuleSet{}) // empty maps; cfg and caches below are e's
	n := *fresh
	n.cfg, n.types, n.winCache, n.supCache, n.zones = e.cfg, e.types, e.winCache, e.supCache, e.zones
	n.wsRefs = make([]cellRef, e.cfg.slots)
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
	n.nextClose = math.MaxInt64
	for _, c := range s.Cells {
		if j, ok := idx[int(c.Rule)]; ok {
			nc := n.newCell()
			nc.start, nc.end, nc.count, nc.fails, nc.first, nc.last = c.Start, c.End, c.Count, c.Fails, c.First, c.Last
			nc.emitted, nc.email, nc.app, nc.distinct = c.Emitted, c.Email, c.App, c.Distinct
			nc.setEvidence(c.Evidence)
			n.cells[cellKey{j, scope(c.Scope), c.Start, c.Value}] = nc
			n.nextClose = min(n.nextClose, c.End)
		}
	}
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
		ks := &knownSet{rule: j, items: x.Items, chains: make([][]chain, len(x.Chains))}
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
	for _, d := range s.Deact {
		n.deact[d.ID] = d.At
	}
	for _, x := range s.Recent {
		if len(x.Times) != recentN || len(x.IDs) != recentN || len(x.Types) != recentN {
			return fmt.Errorf("detect: unmarshal state: recent events of %s: want %d", x.Actor, recentN)
		}
		rc := &recent{email: x.Email, next: x.Next}
		for i := range recentN {
			rc.times[i], rc.types[i] = x.Times[i], x.Types[i]
			rc.idLen[i] = uint8(copy(rc.ids[i][:], x.IDs[i]))
		}
		n.recent[x.Actor] = rc
	}
	*e = n
	return nil
}
