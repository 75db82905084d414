package report

import (
	"slices"
	"testing"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/kpi"
)

// TestKPIsSection reads kpi_daily as the kpi package keeps it: pending
// while it holds nothing for the week, then each KPI of the week's last
// day beside its target, flagged when past it, and every day in a table.
func TestKPIsSection(t *testing.T) {
	t.Parallel()
	_, db := archivetest.MustArchive(t, "Pacific/Chatham")
	p, err := ParseWeek("2026-W48")
	if err != nil {
		t.Fatal(err)
	}
	s, err := kpisSection(t.Context(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending == "" || len(s.Figures) != 0 {
		t.Errorf("kpis of an empty kpi_daily = %+v, want pending", s)
	}
	tx, err := db.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), `DROP TABLE kpi_daily`); err != nil {
		t.Fatal(err)
	}
	if s, err := kpisSection(t.Context(), tx, p); err != nil || s.Pending == "" {
		t.Errorf("kpis without kpi_daily = %+v, %v; want pending", s, err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	sat, sun, next := p.End.AddDate(0, 0, -2), p.End.AddDate(0, 0, -1), p.End
	values := []kpi.Value{
		{Day: sat, KPI: kpi.FailedLoginShare, Value: f(0.062), Target: f(0.05), Status: kpi.Breached, Source: "archive"},
		{Day: sun, KPI: kpi.FailedLoginShare, Value: f(0.031), Target: f(0.05), Status: kpi.OK, Source: "archive"},
		{Day: sun, KPI: kpi.LargeApplications, Value: f(2), Target: f(0), Status: kpi.Breached, Source: "inventory snapshot 9"},
		{Day: sun, KPI: kpi.AvgDimensions, Status: kpi.NotAvailable, Target: f(6), Source: "inventory snapshot 9"},
		{Day: next, KPI: kpi.NamingViolations, Value: f(4), Target: f(0), Status: kpi.Breached},
	}
	if err := kpi.NewStore(db).Save(t.Context(), values); err != nil {
		t.Fatal(err)
	}
	sections, err := WeeklySections(t.Context(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	s = section(t, sections, "kpis")
	want := []Figure{
		{Name: "Failed-login share (2026-11-29)", Value: "3.1 %", Target: "< 5 %", Status: Info},
		{Name: "Average dimensions per metric (2026-11-29)", Value: "n/a", Target: "< 6", Status: Info},
		{Name: "Large applications (> 200 blocks) (2026-11-29)", Value: "2", Target: "≤ 0", Status: Warning},
	}
	if !slices.Equal(s.Figures, want) {
		t.Errorf("kpis figures = %+v, want %+v", s.Figures, want)
	}
	if rows := table(t, sections, "kpi_daily").Rows; len(rows) != 4 || rows[0][0] != "2026-11-28" || rows[0][2] != "6.2 %" {
		t.Errorf("kpi_daily table = %v, want the week's 4 rows, Saturday's first at 6.2 %%", rows)
	}
	if len(s.Findings) != 2 || s.Findings[0].Detail != "Past its target on 1 day: 2026-11-28." {
		t.Errorf("kpis findings = %+v, want the failed-login share on 2026-11-28 and the large applications", s.Findings)
	}
	if s.Pending != "" || s.Records != 4 {
		t.Errorf("kpis pending %q, records %d; want none and 4", s.Pending, s.Records)
	}
}
