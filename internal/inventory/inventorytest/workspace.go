// Package inventorytest is a small in-memory workspace behind
// inventory.Source, for the tests of the inventory and its program.
package inventorytest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// Workspace is a small in-memory workspace behind the Source interface,
// changed by tests between snapshots. It is safe for concurrent use.
type Workspace struct {
	mu       sync.Mutex
	apps     []inventory.Application
	requests int   // calls made
	fail     error // answered to every call while set
	// vanish is deleted right after the next listing that shows it: an
	// application (block "") after Applications, a block after Blocks of
	// its application, as Pigment's structure changes during a snapshot
	// that takes hours.
	vanish struct{ app, block string }
}

var _ inventory.Source = (*Workspace)(nil)

// New returns four applications: Revenue Planning with
// metrics of 2 to 10 dimensions, one without them, a naming violation and
// a block two imports use; Workforce with 201 tables (large); Sandbox with
// bad names; Capex, empty.
func New() *Workspace {
	metric := func(id, name string, n int) inventory.Block {
		return inventory.Block{Block: pigment.Block{ID: id, Name: name, Type: "Metric", Dimensions: dims(n), HasDimensions: true},
			Views: []pigment.View{{ID: id + "-v", Name: "Main", Type: "Public"}}}
	}
	revenue := inventory.Application{Application: pigment.Application{ID: "app-rev", Name: "Revenue Planning"}}
	revenue.Blocks = []inventory.Block{
		metric("b-actuals", "Revenue_Actuals", 3),
		metric("b-plan", "Revenue_Plan", 10),
		metric("b-bad", "revenue forecast", 2),
		{Block: pigment.Block{ID: "b-unknown", Name: "Margin", Type: "Metric"}},
		{Block: pigment.Block{ID: "b-month", Name: "Month", Type: "DimensionList", HasDimensions: true}},
	}
	revenue.Blocks[0].Imports = []pigment.ImportConfiguration{{ID: "imp-1", Name: "ERP actuals"}, {ID: "imp-2", Name: "CRM"}}
	workforce := inventory.Application{Application: pigment.Application{ID: "app-wf", Name: "Workforce"}}
	for i := range 201 {
		workforce.Blocks = append(workforce.Blocks, inventory.Block{Block: pigment.Block{ID: fmt.Sprintf("t-%03d", i), Name: fmt.Sprintf("Table %d", i), Type: "Table"}})
	}
	sandbox := inventory.Application{Application: pigment.Application{ID: "app-sb", Name: "Sandbox"}}
	sandbox.Blocks = []inventory.Block{metric("s-1", "my metric", 1), {Block: pigment.Block{ID: "s-2", Name: "regions", Type: "DimensionList", HasDimensions: true}}}
	capex := inventory.Application{Application: pigment.Application{ID: "app-cx", Name: "Capex"}}
	return &Workspace{apps: []inventory.Application{revenue, workforce, sandbox, capex}}
}

// Sized returns apps applications of blocks blocks each: metrics of 1 to
// 12 dimensions, every tenth badly named, every twentieth used by an
// import, each with a view. For measuring large snapshots.
func Sized(apps, blocks int) *Workspace {
	w := &Workspace{}
	for i := range apps {
		a := inventory.Application{Application: pigment.Application{ID: fmt.Sprintf("app-%04d", i), Name: fmt.Sprintf("Application %d", i)}}
		for j := range blocks {
			id := fmt.Sprintf("blk-%04d-%04d", i, j)
			b := inventory.Block{Block: pigment.Block{ID: id, Name: "Metric_" + words[j%len(words)], Type: "Metric",
				Dimensions: dims(1 + j%12), HasDimensions: true}, Views: []pigment.View{{ID: id + "-v", Name: "Main", Type: "Public"}}}
			if j%10 == 0 {
				b.Name = fmt.Sprintf("metric %d", j)
			}
			if j%20 == 0 {
				b.Imports = []pigment.ImportConfiguration{{ID: id + "-i", Name: "Import"}}
			}
			a.Blocks = append(a.Blocks, b)
		}
		w.apps = append(w.apps, a)
	}
	return w
}

var words = []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"}

// dims returns n dimension names.
func dims(n int) []string {
	var d []string
	for i := range n {
		d = append(d, fmt.Sprintf("Dim%d", i+1))
	}
	return d
}

// Edit changes the workspace under its lock.
func (f *Workspace) Edit(change func(apps []inventory.Application) []inventory.Application) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps = change(f.apps)
}

// Block returns block id of application appID, for edits; it panics
// when there is none.
func Block(apps []inventory.Application, appID, id string) *inventory.Block {
	for i := range apps {
		for j := range apps[i].Blocks {
			if apps[i].ID == appID && apps[i].Blocks[j].ID == id {
				return &apps[i].Blocks[j]
			}
		}
	}
	panic("no block " + appID + "/" + id)
}

// Counts returns the workspace's applications, blocks, metrics, import
// configurations and views.
func (f *Workspace) Counts() (apps, blocks, metrics, imports, views int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.apps {
		apps++
		for _, b := range a.Blocks {
			blocks++
			imports += len(b.Imports)
			views += len(b.Views)
			if b.Type == "Metric" {
				metrics++
			}
		}
	}
	return
}

func (f *Workspace) app(id string) (inventory.Application, error) {
	f.requests++
	if f.fail != nil {
		return inventory.Application{}, f.fail
	}
	for _, a := range f.apps {
		if a.ID == id {
			return a, nil
		}
	}
	return inventory.Application{}, notFound("application not found: " + id)
}

// Applications implements inventory.Source.
func (f *Workspace) Applications(context.Context) ([]pigment.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.fail != nil {
		return nil, f.fail
	}
	var out []pigment.Application
	for _, a := range f.apps {
		out = append(out, a.Application)
	}
	if f.vanish.app != "" && f.vanish.block == "" {
		f.apps = slices.DeleteFunc(f.apps, func(a inventory.Application) bool { return a.ID == f.vanish.app })
		f.vanish.app = ""
	}
	return out, nil
}

// Blocks implements inventory.Source.
func (f *Workspace) Blocks(_ context.Context, appID string) ([]pigment.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(appID)
	var out []pigment.Block
	for _, b := range a.Blocks {
		b.Dimensions = slices.Clone(b.Dimensions)
		out = append(out, b.Block)
	}
	if err == nil && f.vanish.app == appID && f.vanish.block == AfterItsBlocks {
		f.apps = slices.DeleteFunc(f.apps, func(a inventory.Application) bool { return a.ID == appID })
		f.vanish.app, f.vanish.block = "", ""
	}
	if err == nil && f.vanish.app == appID && f.vanish.block != "" {
		for i := range f.apps {
			if f.apps[i].ID == appID {
				f.apps[i].Blocks = slices.DeleteFunc(slices.Clone(f.apps[i].Blocks), func(b inventory.Block) bool { return b.ID == f.vanish.block })
			}
		}
		f.vanish.app, f.vanish.block = "", ""
	}
	return out, err
}

// AfterItsBlocks, as DeleteAfterListing's blockID, deletes the application
// itself right after the next listing of its blocks.
const AfterItsBlocks = "*"

// DeleteAfterListing deletes application appID (blockID "") right after
// the next listing of the applications, or its block blockID right after
// the next listing of its blocks (the application itself with
// AfterItsBlocks): deleted while a snapshot is under way,
// between the listing that showed it and the requests for its details,
// which then answer 404 as Pigment does.
func (f *Workspace) DeleteAfterListing(appID, blockID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vanish.app, f.vanish.block = appID, blockID
}

// notFound is the Metadata API's 404.
func notFound(msg string) error {
	return &pigment.APIError{StatusCode: http.StatusNotFound, Message: msg}
}

// ImportConfigurations implements inventory.Source.
func (f *Workspace) ImportConfigurations(_ context.Context, appID, blockID string) ([]pigment.ImportConfiguration, error) {
	b, err := f.detail(appID, blockID)
	return slices.Clone(b.Imports), err
}

// Views implements inventory.Source.
func (f *Workspace) Views(_ context.Context, appID, blockID string) ([]pigment.View, error) {
	b, err := f.detail(appID, blockID)
	return slices.Clone(b.Views), err
}

func (f *Workspace) detail(appID, blockID string) (inventory.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(appID)
	for _, b := range a.Blocks {
		if b.ID == blockID {
			return b, err
		}
	}
	return inventory.Block{}, notFound("block not found: " + appID + "/" + blockID)
}

// Requests is how many calls the workspace answered.
func (f *Workspace) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Fail makes every call answer err (nil: answer again).
func (f *Workspace) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}
