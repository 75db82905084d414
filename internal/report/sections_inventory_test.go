package report

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// discard is a Publisher that acknowledges every alert: the section reads
// Postgres only.
type discard struct{}

func (discard) Write(context.Context, []kafka.Message) error { return nil }

// snapshotAt saves a snapshot of ws taken at t, as the inventory program
// does.
func snapshotAt(t *testing.T, pool *pgxpool.Pool, ws *inventorytest.Workspace, at time.Time) {
	t.Helper()
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	r := inventory.New(inventory.Config{Policy: policy, AlertsTopic: "alerts", MaxMessageBytes: 1 << 20,
		Now: func() time.Time { return at }}, ws, inventory.NewStore(pool), discard{}, prometheus.NewRegistry())
	if _, err := r.Once(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestInventorySection: pending before any snapshot; then the newest
// snapshot before the week's end, not a later one: its figures, its large
// applications with their blocks (over 300 a warning, as the seed's weekly
// check; 201 info), and every finding with its severity.
func TestInventorySection(t *testing.T) {
	t.Parallel()
	_, db := archivetest.MustArchive(t, "UTC")
	p, _ := ParseWeek("2026-W48")
	if s, err := inventorySection(t.Context(), db, p); err != nil || s.Pending == "" || len(s.Figures) != 0 {
		t.Errorf("inventory without a snapshot = %+v, %v; want pending", s, err)
	}
	ws := inventorytest.New()
	ws.Edit(func(apps []inventory.Application) []inventory.Application {
		for i := range 100 {
			apps[1].Blocks = append(apps[1].Blocks, inventory.Block{Block: pigment.Block{ID: "u-" + strconv.Itoa(i), Name: "Table", Type: "Table"}})
		}
		return apps
	})
	snapshotAt(t, db, ws, p.End.Add(-time.Hour))
	snapshotAt(t, db, inventorytest.New(), p.End.Add(time.Hour)) // after the week: not this report's
	sections, err := WeeklySections(t.Context(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	s := section(t, sections, "inventory")
	if s.Pending != "" || s.Records != 5 {
		t.Errorf("inventory pending %q, records %d; want none and the snapshot's 5 findings", s.Pending, s.Records)
	}
	want := []Figure{
		{Name: "Snapshot", Value: "1 (2026-11-29T23:00:00Z)"},
		{Name: "Applications", Value: "4"},
		{Name: "Blocks", Value: "308"},
		{Name: "Metrics", Value: "5"},
		{Name: "Average dimensions per metric", Value: "4"},
		{Name: "Large applications", Value: "1", Target: "≤ 0", Status: Warning},
		{Name: "Naming violations", Value: "3", Target: "≤ 0", Status: Warning},
		{Name: "Complex metrics", Value: "1"},
	}
	if !slices.Equal(s.Figures, want) {
		t.Errorf("inventory figures = %+v\nwant %+v", s.Figures, want)
	}
	if rows := table(t, sections, "inventory_large_applications").Rows; len(rows) != 1 ||
		!slices.Equal(rows[0], []string{"app-wf", "Workforce", "301", "medium"}) {
		t.Errorf("large applications = %v, want Workforce's 301 blocks at medium", rows)
	}
	if len(s.Findings) == 0 || s.Findings[0] != (Finding{Severity: Warning, Title: "Large application Workforce", Detail: "301 blocks (warning above 300)."}) {
		t.Errorf("inventory findings = %+v, want Workforce's warning first", s.Findings)
	}
	if rows := table(t, sections, "inventory_findings").Rows; len(rows) != 5 || rows[0][0] != "complex-metric" {
		t.Errorf("inventory findings table = %v, want the 5 findings by rule", rows)
	}
}
