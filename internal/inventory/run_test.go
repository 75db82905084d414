package inventory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestRunSchedulesFromTheLastSnapshot: Run takes a snapshot at once when
// there is none, and none at start when the last one is younger than the
// interval; a failed snapshot makes the leader unhealthy, a good one
// healthy again.
func TestRunSchedulesFromTheLastSnapshot(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	*fx.clock = time.Now().UTC()
	reg := prometheus.NewRegistry()
	r := inventory.New(inventory.Config{Policy: fx.policy, AlertsTopic: fx.topic, MaxMessageBytes: 1 << 20, Interval: time.Hour,
		Logger: zerolog.Nop()}, fx.ws, fx.store, fx.pub, reg)
	runFor := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(t.Context(), d)
		defer cancel()
		return r.Run(ctx)
	}
	if err := runFor(3 * time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the context's end", err)
	}
	first, ok, err := fx.store.LatestID(t.Context())
	if err != nil || !ok {
		t.Fatalf("after Run, LatestID = %v, %v; want a snapshot", ok, err)
	}
	if ok, _ := r.Health(); !ok {
		t.Errorf("Health after a good snapshot is not ok")
	}
	if v, ok := gauge(t, reg, "pigment_inventory_summary", "blocks"); !ok || v != 208 {
		t.Errorf("pigment_inventory_summary{figure=blocks} = %v (%v), want 208", v, ok)
	}
	_ = runFor(time.Second)
	if id, _, _ := fx.store.LatestID(t.Context()); id != first {
		t.Errorf("a restart within the interval took snapshot %d, want none after %d", id, first)
	}
	fx.ws.Fail(errors.New("503 from the Metadata API"))
	if _, err := r.Once(t.Context()); err == nil {
		t.Fatal("Once with the API failing = nil, want an error")
	}
	if ok, d := r.Health(); ok || d["reason"] == nil {
		t.Errorf("Health after a failed snapshot = %v, %v; want not ok with a reason", ok, d)
	}
	if id, _, _ := fx.store.LatestID(t.Context()); id != first {
		t.Errorf("a failed snapshot was saved as %d", id)
	}
}

// gauge is the value of the gauge name{figure} in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name, figure string) (float64, bool) {
	t.Helper()
	m, ok := testkit.Series(t, reg, name, figure)
	return m.GetGauge().GetValue(), ok
}
