package inventory

import (
	"slices"
)

// Change kinds and objects of a diff.
const (
	Created       = "created"
	Deleted       = "deleted"
	Renamed       = "renamed"
	Redimensioned = "redimensioned"

	ObjectApplication = "application"
	ObjectBlock       = "block"
)

// Change is one difference between two snapshots: an application or a
// block created, deleted, renamed (same id, new name) or re-dimensioned
// (its dimensions known in both and different as a set).
type Change struct {
	Kind            string `json:"kind"`
	Object          string `json:"object"`
	Application     string `json:"application"` // the application's id
	ApplicationName string `json:"applicationName"`
	ID              string `json:"id"`   // the block's id; the application's for an application
	Name            string `json:"name"` // the name now (before, when deleted)
	OldName         string `json:"oldName,omitempty"`
	Type            string `json:"type,omitempty"` // a block's type
	// Dimensions and OldDimensions are a re-dimensioned block's.
	Dimensions    []string `json:"dimensions,omitempty"`
	OldDimensions []string `json:"oldDimensions,omitempty"`
	// Imports counts the import configurations that used the block in the
	// earlier snapshot (drift when it is deleted or renamed).
	Imports int `json:"imports,omitempty"`
}

// Compare lists what changed from prev to cur, applications first, each in
// the order of cur (deletions in the order of prev). A nil prev (the first
// snapshot) has no changes.
func Compare(prev, cur *Snapshot) []Change {
	if prev == nil {
		return nil
	}
	var out []Change
	before := indexApps(prev)
	now := indexApps(cur)
	for _, a := range cur.Applications {
		old, ok := before[a.ID]
		switch {
		case !ok:
			out = append(out, Change{Kind: Created, Object: ObjectApplication, Application: a.ID, ApplicationName: a.Name, ID: a.ID, Name: a.Name})
		case old.Name != a.Name:
			out = append(out, Change{Kind: Renamed, Object: ObjectApplication, Application: a.ID, ApplicationName: a.Name, ID: a.ID, Name: a.Name, OldName: old.Name})
		}
	}
	for _, a := range prev.Applications {
		if _, ok := now[a.ID]; !ok {
			out = append(out, Change{Kind: Deleted, Object: ObjectApplication, Application: a.ID, ApplicationName: a.Name, ID: a.ID, Name: a.Name})
		}
	}
	for _, a := range cur.Applications {
		out = append(out, compareBlocks(before[a.ID], &a)...)
	}
	for _, a := range prev.Applications {
		if _, ok := now[a.ID]; !ok {
			out = append(out, compareBlocks(&a, &Application{Application: a.Application})...)
		}
	}
	return out
}

// compareBlocks lists the block changes of one application (old nil: it
// is new).
func compareBlocks(old, cur *Application) []Change {
	var out []Change
	before := map[string]*Block{}
	if old != nil {
		for i := range old.Blocks {
			before[old.Blocks[i].ID] = &old.Blocks[i]
		}
	}
	seen := map[string]bool{}
	for _, b := range cur.Blocks {
		seen[b.ID] = true
		c := Change{Object: ObjectBlock, Application: cur.ID, ApplicationName: cur.Name, ID: b.ID, Name: b.Name, Type: b.Type}
		o, ok := before[b.ID]
		switch {
		case !ok:
			c.Kind = Created
			out = append(out, c)
			continue
		case o.Name != b.Name:
			c.Kind, c.OldName, c.Imports = Renamed, o.Name, len(o.Imports)
			out = append(out, c)
		}
		if o.HasDimensions && b.HasDimensions && !sameSet(o.Dimensions, b.Dimensions) {
			c.Kind, c.OldName, c.Imports = Redimensioned, "", 0
			c.Dimensions, c.OldDimensions = b.Dimensions, o.Dimensions
			out = append(out, c)
		}
	}
	if old != nil {
		for _, o := range old.Blocks {
			if !seen[o.ID] {
				out = append(out, Change{Kind: Deleted, Object: ObjectBlock, Application: old.ID, ApplicationName: old.Name, ID: o.ID, Name: o.Name, Type: o.Type, Imports: len(o.Imports)})
			}
		}
	}
	return out
}

func indexApps(s *Snapshot) map[string]*Application {
	m := make(map[string]*Application, len(s.Applications))
	for i := range s.Applications {
		m[s.Applications[i].ID] = &s.Applications[i]
	}
	return m
}

// sameSet says whether a and b hold the same names, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
