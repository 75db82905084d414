package inventory_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// fixture is a runner on the fake workspace, a fresh database and a kfake
// broker over TCP.
type fixture struct {
	ws     *inventorytest.Workspace
	store  *inventory.Store
	runner *inventory.Runner
	addr   string
	topic  string
	dbURL  string
	policy *inventory.Policy
	pub    *publish.Publisher
	clock  *time.Time
}

func mustFixture(t *testing.T) *fixture { t.Helper(); return newFixture(t, inventorytest.New()) }

// newFixture is a fixture on the workspace ws.
func newFixture(t testing.TB, ws *inventorytest.Workspace) *fixture {
	t.Helper()
	store, url := inventorytest.MustStore(t)
	pub, addr := inventorytest.MustPublisher(t)
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	fx := &fixture{ws: ws, store: store, addr: addr, topic: testkit.Name("alerts"), dbURL: url, clock: &clock, policy: policy, pub: pub}
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
