package pigmentsim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Kinds of MetadataChange, in the order they take turns.
const (
	ChangeRenamed = "renamed" // a TransactionList with import configurations gets a suffix
	ChangeDeleted = "deleted" // a block with import configurations is deleted
	ChangeGrown   = "grown"   // the last application gains growBy Metrics
)

var changeKinds = [...]string{ChangeRenamed, ChangeDeleted, ChangeGrown}

const (
	growBy             = 5    // Metrics a growing application gains per change
	maxMetadataChanges = 1000 // the structure stops changing after as many
)

var renameSuffixes = []string{"Archive", "Legacy", "History", "Import"}

// MetadataItem is an import configuration.
type MetadataItem struct{ ID, Name string }

// MetadataView is a view of a block: Type "Public" or "Personal".
type MetadataView struct{ ID, Name, Type string }

// MetadataBlock is a block as the described shape serves it; the public
// shape sends no Dimensions.
type MetadataBlock struct {
	ID, Name, Type       string
	Dimensions           []string // empty (not nil) for lists
	ImportConfigurations []MetadataItem
	Views                []MetadataView
}

// MetadataApplication is an application with its blocks, in the order the
// API serves them.
type MetadataApplication struct {
	ID, Name              string
	CreatedAt, ModifiedAt time.Time
	Blocks                []MetadataBlock
}

// MetadataChange is one change of the structure: at start +
// k*Config.MetadataChangeEvery, for k = 1, 2, ..., the kinds taking turns
// (renamed, deleted, grown).
type MetadataChange struct {
	At            time.Time
	Kind          string
	ApplicationID string
	BlockIDs      []string // the block renamed or deleted, or the blocks added
	OldName       string   // renamed: the name before
	NewName       string   // renamed: the name after
}

// metadata is the structure the Metadata API serves over time: the
// applications at the start and the latest state computed.
type metadata struct {
	seed  int64
	start time.Time
	every time.Duration
	byApp map[string]int // application ID -> index (applications are never added or removed)

	mu  sync.Mutex
	cur *metaState // immutable once built
	gen *metaState // the state at the start
}

// metaState is the structure after epoch changes. States share the block
// slices of applications a change did not touch.
type metaState struct {
	epoch   int
	apps    []metaApp
	changes []MetadataChange
}

func newMetadata(seed int64, ws *workspace, start time.Time, every time.Duration) *metadata {
	apps := newMetaApps(seed, ws, start)
	m := &metadata{seed: seed, start: start, every: every, byApp: make(map[string]int, len(apps))}
	for i, a := range apps {
		m.byApp[a.id] = i
	}
	m.gen = &metaState{apps: apps}
	m.cur = m.gen
	return m
}

// at returns the structure at t.
func (m *metadata) at(t time.Time) *metaState {
	epoch := 0
	if t.After(m.start) {
		epoch = int(min(int64(t.Sub(m.start)/m.every), maxMetadataChanges))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.cur
	if st.epoch > epoch {
		st = m.gen
	}
	for st.epoch < epoch {
		st = m.apply(st)
	}
	if st.epoch > m.cur.epoch {
		m.cur = st
	}
	return st
}

// apply returns the state after change prev.epoch+1.
func (m *metadata) apply(prev *metaState) *metaState {
	k := prev.epoch + 1
	st := &metaState{epoch: k, apps: slices.Clone(prev.apps), changes: prev.changes[:len(prev.changes):len(prev.changes)]}
	rng := rand.New(rand.NewPCG(uint64(m.seed), uint64(k)))
	c := MetadataChange{At: m.start.Add(time.Duration(k) * m.every).UTC(), Kind: changeKinds[(k-1)%len(changeKinds)]}
	ai, bi := -1, -1
	switch c.Kind {
	case ChangeRenamed:
		ai, bi = st.pick(rng, func(b *metaBlock) bool {
			return b.typ == "TransactionList" && len(b.imports) > 0 && !strings.Contains(b.name, "_")
		})
	case ChangeDeleted:
		ai, bi = st.pick(rng, func(b *metaBlock) bool { return b.typ != "DimensionList" && len(b.imports) > 0 })
	case ChangeGrown:
		ai = len(st.apps) - 1
	}
	if ai < 0 {
		return st // nothing left to change this way
	}
	a := &st.apps[ai]
	a.blocks = slices.Clone(a.blocks)
	a.modified = c.At.UnixNano()
	c.ApplicationID = a.id
	switch c.Kind {
	case ChangeRenamed:
		b := &a.blocks[bi]
		c.OldName, c.NewName = b.name, b.name+"_"+renameSuffixes[rng.IntN(len(renameSuffixes))]
		b.name, c.BlockIDs = c.NewName, []string{b.id}
	case ChangeDeleted:
		c.BlockIDs = []string{a.blocks[bi].id}
		a.blocks = slices.Delete(a.blocks, bi, bi+1)
	case ChangeGrown:
		g := blockGen{rng: rng, ns: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "pigmentsim/%d", m.seed)),
			app: ai, used: map[string]bool{}}
		for _, b := range a.blocks {
			g.used[b.name] = true
		}
		for j := range growBy {
			b := g.metric(fmt.Sprintf("block/%d/grow/%d/%d", ai, k, j))
			a.blocks = append(a.blocks, b)
			c.BlockIDs = append(c.BlockIDs, b.id)
		}
	}
	st.changes = append(st.changes, c)
	return st
}

// pick returns a block matching ok, drawn with rng, or -1, -1.
func (st *metaState) pick(rng *rand.Rand, ok func(*metaBlock) bool) (app, blk int) {
	var cands [][2]int
	for i := range st.apps {
		for j := range st.apps[i].blocks {
			if ok(&st.apps[i].blocks[j]) {
				cands = append(cands, [2]int{i, j})
			}
		}
	}
	if len(cands) == 0 {
		return -1, -1
	}
	c := cands[rng.IntN(len(cands))]
	return c[0], c[1]
}

// block returns the block id of application app, or nil.
func (a *metaApp) block(id string) *metaBlock {
	for i := range a.blocks {
		if a.blocks[i].id == id {
			return &a.blocks[i]
		}
	}
	return nil
}

// Metadata returns the ground truth of the Metadata API at t: every
// application with its blocks, import configurations and views, as the
// described shape serves them (the public shape omits dimensions and
// dates). Before the first change (start + Config.MetadataChangeEvery) it
// is the structure at the start.
func (s *Sim) Metadata(t time.Time) []MetadataApplication {
	st := s.meta.at(t)
	out := make([]MetadataApplication, len(st.apps))
	for i, a := range st.apps {
		o := MetadataApplication{ID: a.id, Name: a.name, CreatedAt: time.Unix(0, a.createdAt).UTC(),
			ModifiedAt: time.Unix(0, a.modified).UTC(), Blocks: make([]MetadataBlock, len(a.blocks))}
		for j, b := range a.blocks {
			o.Blocks[j] = MetadataBlock{ID: b.id, Name: b.name, Type: b.typ, Dimensions: append([]string{}, b.dimensions...)}
			for _, c := range b.imports {
				o.Blocks[j].ImportConfigurations = append(o.Blocks[j].ImportConfigurations, MetadataItem{ID: c.id, Name: c.name})
			}
			for _, v := range b.views {
				o.Blocks[j].Views = append(o.Blocks[j].Views, MetadataView{ID: v.id, Name: v.name, Type: v.typ})
			}
		}
		out[i] = o
	}
	return out
}

// MetadataChanges returns the changes of the structure up to t, oldest
// first.
func (s *Sim) MetadataChanges(t time.Time) []MetadataChange {
	cs := slices.Clone(s.meta.at(t).changes)
	for i := range cs {
		cs[i].BlockIDs = slices.Clone(cs[i].BlockIDs)
	}
	return cs
}
