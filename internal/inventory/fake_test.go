package inventory_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

// fakeWorkspace is a small in-memory workspace behind the Source
// interface, changed by the tests between snapshots. Safe for concurrent use.
type fakeWorkspace struct {
	mu   sync.Mutex
	apps []inventory.Application
	// requests counts the calls made.
	requests int
}

var _ inventory.Source = (*fakeWorkspace)(nil)

// newFakeWorkspace returns four applications: Revenue Planning with
// metrics of 2 to 10 dimensions, one without them, a naming violation and
// a block two imports use; Workforce with 201 tables (large); Sandbox with
// bad names; Capex, empty.
func newFakeWorkspace() *fakeWorkspace {
	dims := func(n int) []string {
		var d []string
		for i := range n {
			d = append(d, fmt.Sprintf("Dim%d", i+1))
		}
		return d
	}
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
	return &fakeWorkspace{apps: []inventory.Application{revenue, workforce, sandbox, capex}}
}

// edit changes the workspace under its lock.
func (f *fakeWorkspace) edit(change func(apps []inventory.Application) []inventory.Application) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps = change(f.apps)
}

// block returns the block id of application appID, for edits.
func block(apps []inventory.Application, appID, id string) *inventory.Block {
	for i := range apps {
		for j := range apps[i].Blocks {
			if apps[i].ID == appID && apps[i].Blocks[j].ID == id {
				return &apps[i].Blocks[j]
			}
		}
	}
	panic("no block " + appID + "/" + id)
}

// counts returns the workspace's applications, blocks, metrics, import
// configurations and views.
func (f *fakeWorkspace) counts() (apps, blocks, metrics, imports, views int) {
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

func (f *fakeWorkspace) app(id string) (inventory.Application, error) {
	f.requests++
	for _, a := range f.apps {
		if a.ID == id {
			return a, nil
		}
	}
	return inventory.Application{}, fmt.Errorf("404: no application %s", id)
}

func (f *fakeWorkspace) Applications(context.Context) ([]pigment.Application, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	var out []pigment.Application
	for _, a := range f.apps {
		out = append(out, a.Application)
	}
	return out, nil
}

func (f *fakeWorkspace) Blocks(_ context.Context, appID string) ([]pigment.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(appID)
	var out []pigment.Block
	for _, b := range a.Blocks {
		b.Dimensions = slices.Clone(b.Dimensions)
		out = append(out, b.Block)
	}
	return out, err
}

func (f *fakeWorkspace) ImportConfigurations(_ context.Context, appID, blockID string) ([]pigment.ImportConfiguration, error) {
	b, err := f.detail(appID, blockID)
	return slices.Clone(b.Imports), err
}

func (f *fakeWorkspace) Views(_ context.Context, appID, blockID string) ([]pigment.View, error) {
	b, err := f.detail(appID, blockID)
	return slices.Clone(b.Views), err
}

func (f *fakeWorkspace) detail(appID, blockID string) (inventory.Block, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(appID)
	for _, b := range a.Blocks {
		if b.ID == blockID {
			return b, err
		}
	}
	return inventory.Block{}, fmt.Errorf("404: no block %s/%s", appID, blockID)
}

// fixture is a runner on the fake workspace, a fresh database and a kfake
// broker over TCP.
type fixture struct {
	ws     *fakeWorkspace
	store  *inventory.Store
	runner *inventory.Runner
	addr   string
	topic  string
	dbURL  string
	clock  *time.Time
}

func mustFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	url := testkit.MustPostgres(t)
	if err := migrations.Apply(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	_, addr := testkit.MustKafka(t)
	pub, err := publish.New(publish.Config{Brokers: []string{addr}, Transport: testkit.Transport(t), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	fx := &fixture{ws: newFakeWorkspace(), store: inventory.NewStore(pool), addr: addr, topic: testkit.Name("alerts"), dbURL: url, clock: &clock}
	fx.runner = inventory.New(inventory.Config{Policy: policy, AlertsTopic: fx.topic, MaxMessageBytes: 1 << 20,
		Interval: 24 * time.Hour, Retention: 30 * 24 * time.Hour, Logger: zerolog.Nop(),
		Now: func() time.Time { return *fx.clock }}, fx.ws, fx.store, pub, prometheus.NewRegistry())
	return fx
}

// once takes a snapshot a day after the last one.
func (fx *fixture) once(t *testing.T) inventory.Result {
	t.Helper()
	*fx.clock = fx.clock.Add(24 * time.Hour)
	res, err := fx.runner.Once(t.Context())
	if err != nil {
		t.Fatalf("Once: %v", err)
	}
	return res
}
