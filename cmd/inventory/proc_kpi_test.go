package main

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/kpi/kpitest"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestKPIsOfTheSimulator: five weeks of the simulator's history, extracted
// into the topic by `extract once`; today's KPIs that `inventory once`
// keeps (counted from the topic, there being no archive) equal the
// independent computation of the KPI tests over the topic read with kcat,
// and its inventory KPIs equal the simulator's workspace. The KPIs and the
// snapshot are in ARCHIVE_DATABASE_URL, where the report reads them; none
// in DATABASE_URL.
func TestKPIsOfTheSimulator(t *testing.T) {
	t.Parallel()
	s := newSimStack(t, pigmentsim.Config{Clock: time.Now, History: 35 * 24 * time.Hour, HistoryEvents: 15000}, nil)
	testkit.MustRun(t, extractBin, s.stack.ExtractEnv(nil), "once")
	archive := testkit.MustPostgres(t)
	testkit.MustRun(t, inventoryBin, s.env(map[string]string{"ARCHIVE_DATABASE_URL": archive}), "once")
	today := kpi.Day(time.Now())
	for _, db := range []struct {
		url  string
		want int
	}{{s.stack.DBURL, 0}, {archive, 1}} {
		var n int
		if err := testkit.QueryRow(t, db.url, `SELECT count(*) FROM inventory_snapshots`, &n); err != nil || n != db.want {
			t.Errorf("inventory_snapshots in %s: %d (%v), want %d", db.url, n, err, db.want)
		}
	}

	pool, err := pgxpool.New(t.Context(), archive)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	values, err := kpi.NewStore(pool).Day(t.Context(), today)
	if err != nil {
		t.Fatal(err)
	}
	if len(values) != len(kpi.Names) {
		t.Fatalf("kpi_daily holds %d KPIs of %s, want %d", len(values), today.Format(time.DateOnly), len(kpi.Names))
	}
	for i := range values {
		values[i].Day = values[i].Day.UTC() // a date, read at UTC midnight
	}
	logins := kpitest.Check(t, values, kpitest.Events(t, s.stack.Brokers, s.stack.Topic), []time.Time{today})
	t.Logf("today %s: %d login attempts among the events counted", today.Format(time.DateOnly), logins)

	var large, metrics, dims int
	for _, a := range s.sim.Metadata(time.Now()) {
		if len(a.Blocks) > 200 {
			large++
		}
		for _, b := range a.Blocks {
			if b.Type == "Metric" {
				metrics, dims = metrics+1, dims+len(b.Dimensions)
			}
		}
	}
	if v := kpitest.Value(t, values, today, kpi.LargeApplications); !kpitest.Near(v.Value, float64(large)) || large == 0 {
		t.Errorf("large applications = %v, the simulator has %d of more than 200 blocks", kpitest.Deref(v.Value), large)
	}
	if v := kpitest.Value(t, values, today, kpi.AvgDimensions); !kpitest.Near(v.Value, float64(dims)/float64(metrics)) {
		t.Errorf("average dimensions = %v, the simulator's %d metrics have %d", kpitest.Deref(v.Value), metrics, dims)
	}
}
