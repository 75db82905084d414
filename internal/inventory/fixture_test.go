package inventory_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
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
	fx := &fixture{ws: inventorytest.New(), store: inventory.NewStore(pool), addr: addr, topic: testkit.Name("alerts"), dbURL: url, clock: &clock, policy: policy, pub: pub}
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
