package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestOnceThenRun drives the wiring on a fake workspace: `once` saves a
// snapshot and writes its five findings; `run`, started within the
// interval, takes none, and serves /healthz as the leader and the saved
// figures on /metrics.
func TestOnceThenRun(t *testing.T) {
	t.Parallel()
	_, addr := testkit.MustKafka(t)
	topic := testkit.Name("alerts")
	cfg, err := loadConfig(t.Context(), envconfig.MapLookuper(map[string]string{"DATABASE_URL": testkit.MustPostgres(t),
		"KAFKA_BROKERS": addr, "KAFKA_ALERTS_TOPIC": topic, "PIGMENT_METADATA_API_KEY": "metadata-key", "METRICS_ADDR": "127.0.0.1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	ws := inventorytest.New()
	fake := func(*Config, *pgxpool.Pool, prometheus.Registerer, zerolog.Logger) (inventory.Source, error) {
		return ws, nil
	}
	var stdout bytes.Buffer
	var stderr testkit.SyncBuffer
	invocation := func(cmd string) *daemon.Invocation {
		return &daemon.Invocation{Cmd: cmd, Stdout: &stdout, Stderr: &stderr, Log: zerolog.New(&stderr)}
	}
	if err := runInventory(t.Context(), cfg, invocation("once"), fake); err != nil {
		t.Fatalf("once: %v\n%s", err, stderr.String())
	}
	// Today's KPIs follow the snapshot: its large applications and naming
	// violations are past their target 0, two kpi-target alerts.
	if want := "snapshot 1: 4 applications, 208 blocks, 0 changes, 5 findings, 5 new alerts\n" +
		"kpis of " + time.Now().UTC().Format(time.DateOnly) + ": 10 values, 2 new alerts\n"; stdout.String() != want {
		t.Errorf("once printed %q, want %q", stdout.String(), want)
	}
	if n := len(testkit.ReadAll(t, addr, topic)); n != 5+2 {
		t.Errorf("once wrote %d alerts, want 5 findings and 2 KPI alerts", n)
	}
	requests := ws.Requests()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- runInventory(ctx, cfg, invocation("run"), fake) }()
	var metrics string
	if !testkit.Eventually(10*time.Second, func() bool {
		metrics = servedAt(stderr.String())
		day, _ := testkit.Gauge(metrics, `pigment_kpi_day_timestamp_seconds`)
		return metrics != "" && testkit.GetHealth(metrics).Details["last_snapshot"] != nil && day > 0
	}) {
		t.Fatalf("run: no leader with the last snapshot on /healthz and today's KPIs within 10s; logs:\n%s", stderr.String())
	}
	if h := testkit.GetHealth(metrics); !h.OK || h.Status != 200 || h.Details["role"] != "leader" {
		t.Errorf("run /healthz = %+v, want 200 ok from the leader", h)
	}
	if v, ok := testkit.Gauge(metrics, `pigment_inventory_summary{figure="blocks"}`); !ok || v != 208 {
		t.Errorf("run /metrics blocks = %v (%v), want the saved snapshot's 208", v, ok)
	}
	if v, ok := testkit.Gauge(metrics, `pigment_kpi_value{kpi="naming_violations"}`); !ok || v != 3 {
		t.Errorf("run /metrics naming_violations KPI = %v (%v), want the snapshot's 3", v, ok)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after SIGTERM = %v, want nil", err)
	}
	if n := ws.Requests(); n != requests {
		t.Errorf("run within the interval made %d requests, want none", n-requests)
	}
}

// servedAt is the address the observability server logged.
func servedAt(logs string) string {
	for _, l := range testkit.LogLines(logs) {
		if l["message"] == "serving /metrics and /healthz" {
			addr, _ := l["addr"].(string)
			return strings.TrimSpace(addr)
		}
	}
	return ""
}
