package detect

import (
	"cmp"
	"math"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// This file holds what keeps Process cheap on the common event, the one
// that raises nothing: a per-key cache that saves the string-keyed map
// lookups, a compact set of event-ID hashes for the replay check, and
// counting windows (cells) that keep evidence in a byte arena and are
// recycled when they close, so that the common event does not allocate.

// keyEntry caches, for one actor or application key seen recently, what
// the hot path would otherwise look up in maps keyed by 36-byte strings:
// the current counting window of each counting rule and scope, the
// actor's long-lived state and held activity. It is only a
// cache (the maps stay the truth): Process looks the key up once per
// event, and dropping an entry changes nothing but speed. Entries not used
// for an hour of event time are dropped by the hourly scan.
type keyEntry struct {
	name     string    // the key, a copy that does not alias an event
	email    string    // last actor email seen (interned for cells)
	label    string    // last application label seen (interned for cells)
	used     int64     // newest event time it served
	cells    []cellRef // per counting slot (rule.slots)
	actor    *actor    // long-lived state (never deleted while the engine lives)
	held     *held     // deactivation rule's held activity (nil or gone: look up)
	sensName string    // application: the AppName sens was computed for
	sens     uint64    // application: rules (bits) for which it is sensitive
	sensSet  uint64    // rules for which sens is computed

	// known: per rule with a known period (rule.knownSlot); nil or gone: look up
	known []*knownSet

	// allow caches the allow lists' verdicts: members (of an actor's
	// entry) and applications (of an application's).
	allow [2]allowCache
}

// cellRef points at a cell as long as its generation is unchanged: a cell
// closed (and perhaps recycled for another key) gets a new generation.
type cellRef struct {
	c   *cell
	s   *slide // sliding rules: the key's slide
	gen uint64
}

// entry returns the cache entry of key v, creating it.
func (e *Engine) entry(v string, t int64) *keyEntry {
	k := e.keys[v]
	if k == nil {
		k = &keyEntry{name: strings.Clone(v), cells: make([]cellRef, e.cfg.slots)}
		e.keys[k.name] = k
	}
	k.used = max(k.used, t)
	return k
}

// nameOf returns the key v without aliasing the event: the entry's copy
// (k is v's entry), or a new one when there is no entry.
func (k *keyEntry) nameOf(v string) string {
	if k != nil {
		return k.name
	}
	return strings.Clone(v)
}

// emailOf returns ev.ActorEmail without aliasing the event, reusing the
// copy the entry (if any) holds when it is the same.
func (k *keyEntry) emailOf(ev *event.Event) string {
	if k == nil {
		return strings.Clone(ev.ActorEmail)
	}
	if k.email != ev.ActorEmail {
		k.email = strings.Clone(ev.ActorEmail)
	}
	return k.email
}

// labelOf returns s (an application's name, else id) without aliasing the
// event, reusing the entry's (if any) copy when it is the same.
func (k *keyEntry) labelOf(s string) string {
	if k == nil {
		return strings.Clone(s)
	}
	if k.label != s {
		k.label = strings.Clone(s)
	}
	return k.label
}

// labels returns what an alert of a counting key of scope s, k's entry,
// names it by: the actor's email, or the application's label.
func (k *keyEntry) labels(s scope, ev *event.Event) (email, app string) {
	switch s {
	case scopeActor:
		return k.emailOf(ev), ""
	case scopeApp:
		return "", k.labelOf(cmp.Or(ev.AppName, ev.AppID))
	}
	return "", ""
}

// refFor returns where rule r's si-th scope s caches the counting state
// of the event's key, and the key's entry: nil for the workspace (its
// slot is the engine's), both nil when the key has no entry.
func (e *Engine) refFor(r *rule, si int, s scope) (*cellRef, *keyEntry) {
	var ke *keyEntry
	switch s {
	case scopeActor:
		ke = e.curActor
	case scopeApp:
		ke = e.curApp
	case scopeWorkspace:
		return &e.wsRefs[r.slots[si]], nil
	}
	if ke == nil {
		return nil, nil
	}
	return &ke.cells[r.slots[si]], ke
}

// pruneKeys drops cache entries not used within the last hour before the
// watermark.
// A Go map does not shrink: when most entries went, the survivors move to
// a new one.
func (e *Engine) pruneKeys() {
	n := len(e.keys)
	for v, k := range e.keys {
		if k.used <= e.wm-hour {
			delete(e.keys, v)
		}
	}
	if n >= 1024 && len(e.keys) < n/4 {
		m := make(map[string]*keyEntry, len(e.keys))
		for v, k := range e.keys {
			m[v] = k
		}
		e.keys = m
	}
}

// idSet is an open-addressing hash set of 64-bit event-ID hashes (0 marks
// an empty slot; a hash of 0 is stored as 1), at most half full: 16 bytes
// per event at worst, 8 to 16 on average.
type idSet struct {
	slots []uint64
	n     int
}

// newIDSet returns an empty set for the new hour b, sized like the last
// hour looked up when b is next to it (consecutive hours are alike) so that
// it rarely grows; an hour apart from the stream (an event dated ahead,
// or long ago) starts small, or a few stray events would each hold a full
// hour's set (300 of them among 100,000 events an hour once held 602 MiB).
func (e *Engine) newIDSet(b int64) *idSet {
	want := 64
	if e.seenS != nil && (b == e.seenB+hour || b == e.seenB-hour) {
		for want < 2*e.seenS.n+e.seenS.n/2 {
			want *= 2
		}
	}
	return &idSet{slots: make([]uint64, want)}
}

// add inserts h and reports whether it was already there.
func (s *idSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := (h * 0x9E3779B97F4A7C15) >> 32 & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			s.slots[i] = h
			s.n++
			return false
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(64, 2*len(old)))
	s.n = 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

// list returns the hashes in the set, unsorted.
func (s *idSet) list() []uint64 {
	out := make([]uint64, 0, s.n)
	for _, h := range s.slots {
		if h != 0 {
			out = append(out, h)
		}
	}
	return out
}

// idHash hashes an event ID, eight bytes at a time: stable across
// processes and machines (saved states hold it), not cryptographic.
func idHash(s string) uint64 {
	const m = 0x9E3779B97F4A7C15
	h := uint64(len(s)) * 0xC2B2AE3D27D4EB4F
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * m
		h ^= h >> 29
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ w) * m
	// fmix64 (MurmurHash3)
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	h ^= h >> 33
	return h
}

// idArena holds evidence event IDs concatenated in one byte arena, each
// ending at its evEnd, so that a cell or a step keeps its evidence in two
// slices that are reused when it is recycled.
type idArena struct {
	ev    []byte
	evEnd []uint32
}

// addEvidence appends an event ID to the arena, up to n.
func (a *idArena) addEvidence(id string, n int) {
	if len(a.evEnd) < n {
		if a.ev == nil { // room for a few IDs at once
			a.ev, a.evEnd = make([]byte, 0, 4*len(id)), make([]uint32, 0, 4)
		}
		a.ev = append(a.ev, id...)
		a.evEnd = append(a.evEnd, uint32(len(a.ev)))
	}
}

// evidenceAt returns the i-th evidence ID.
func (a *idArena) evidenceAt(i int) string {
	from := uint32(0)
	if i > 0 {
		from = a.evEnd[i-1]
	}
	return string(a.ev[from:a.evEnd[i]])
}

// evidence returns the evidence IDs (nil when none), sharing one string.
func (a *idArena) evidence() []string {
	if len(a.evEnd) == 0 {
		return nil
	}
	out := make([]string, len(a.evEnd))
	s := string(a.ev)
	prev := uint32(0)
	for i, end := range a.evEnd {
		out[i] = s[prev:end]
		prev = end
	}
	return out
}

// setEvidence replaces the evidence with ids.
func (a *idArena) setEvidence(ids []string) {
	a.ev, a.evEnd = a.ev[:0], a.evEnd[:0]
	for _, id := range ids {
		a.addEvidence(id, math.MaxInt)
	}
}

// emptied returns the arena's slices emptied, for reuse.
func (a *idArena) emptied() idArena { return idArena{a.ev[:0], a.evEnd[:0]} }

// maxFree caps the closed cells (dropped slides) kept for reuse.
const maxFree = 4096

// recyclable is a cell or a slide. reset clears it for reuse, keeping its
// arenas, and gives it generation gen; retire makes references to it
// stale (see cellRef) and reports whether it is worth keeping: one grown
// by a burst is left to the garbage collector.
type recyclable[T any] interface {
	*T
	reset(gen uint64)
	retire() bool
}

// freeList keeps retired cells (slides) for reuse, so that opening a
// window rarely allocates.
type freeList[T any, P recyclable[T]] struct {
	items []P
}

// get returns a cleared value, recycled when one is free, with the next
// generation of *gen.
func (f *freeList[T, P]) get(gen *uint64) P {
	var v P
	if n := len(f.items); n > 0 {
		v = f.items[n-1]
		f.items[n-1] = nil
		f.items = f.items[:n-1]
	} else {
		v = new(T)
	}
	*gen++
	v.reset(*gen)
	return v
}

// put retires v, dropped from the engine's maps, and keeps it for reuse
// unless enough are.
func (f *freeList[T, P]) put(v P) {
	if v.retire() && len(f.items) < maxFree {
		f.items = append(f.items, v)
	}
}

func (c *cell) reset(gen uint64) {
	clear(c.distinct)
	*c = cell{idArena: c.emptied(), distinct: c.distinct[:0], gen: gen}
}

func (c *cell) retire() bool {
	c.gen = 0
	return cap(c.ev) <= 1024
}
