package report

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// kpiRow is one row of kpi_daily (internal/kpi).
type kpiRow struct {
	Day           time.Time
	KPI           string
	Value, Target *float64
	Status        string
	Source        string
}

// kpisSection is the reliability KPIs of the period, as the inventory
// program kept them per day (kpi_daily): each KPI of the period's last
// computed day beside its target, flagged when past it, a finding for
// each KPI past its target on some day, and every day's values in a
// table. Pending when kpi_daily holds nothing for the period.
func kpisSection(ctx context.Context, db DB, p Period) (Section, error) {
	s := Section{ID: "kpis", Title: "Reliability KPIs"}
	// An archive database without kpi_daily (ARCHIVE_DATABASE_URL apart
	// from the inventory's database) has no KPI: asked for it, the query
	// would fail and abort the report's transaction.
	if exists, err := tableExists(ctx, db, "kpi_daily"); err != nil || !exists {
		s.Pending = "The archive's database holds no kpi_daily table: the inventory program computes the KPIs into ARCHIVE_DATABASE_URL."
		return s, err
	}
	rows, err := kpiRows(ctx, db, p)
	if err != nil {
		return Section{}, err
	}
	if len(rows) == 0 {
		s.Pending = "No KPI was computed for " + p.Name + ": the inventory program computes them daily (kpi_daily)."
		return s, nil
	}
	t := Table{ID: "kpi_daily", Title: "KPIs by day", Columns: []string{"day", "kpi", "value", "target", "status", "source"},
		Rows: [][]string{}}
	last := map[string]kpiRow{}
	breached := map[string][]string{}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{fmtDay(r.Day), r.KPI, fmtKPI(r.KPI, r.Value), fmtTarget(r.KPI, r.Target), r.Status, r.Source})
		last[r.KPI] = r
		if r.Status == string(kpi.Breached) {
			breached[r.KPI] = append(breached[r.KPI], fmtDay(r.Day))
		}
	}
	for _, d := range kpi.Definitions {
		r, ok := last[d.Name]
		if !ok {
			continue
		}
		s.Figures = append(s.Figures, Figure{Name: d.Title + " (" + fmtDay(r.Day) + ")", Value: fmtKPI(d.Name, r.Value),
			Target: fmtTarget(d.Name, r.Target), Status: statusIf(r.Status == string(kpi.Breached), Warning)})
		if days := breached[d.Name]; len(days) > 0 {
			s.Findings = append(s.Findings, Finding{Severity: Warning, Title: d.Title + " past its target",
				Detail: fmt.Sprintf("Past its target on %s: %s.", plural(int64(len(days)), "day", "days"), strings.Join(days, ", "))})
		}
	}
	s.Records, s.Tables = int64(len(rows)), []Table{t}
	s.Summary = fmt.Sprintf("%s of %s past their target on some day of %s (kpi_daily, computed by the inventory program).",
		plural(int64(len(s.Findings)), "KPI", "KPIs"), fmtCount(int64(len(s.Figures))), p.Name)
	return s, nil
}

// tableExists says whether the archive's database holds table: one apart
// from the inventory's database has none of its tables, and a query of
// one would fail and abort the report's transaction.
func tableExists(ctx context.Context, db DB, table string) (bool, error) {
	var exists bool
	if err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		return false, fmt.Errorf("look for table %s: %w", table, err)
	}
	return exists, nil
}

// kpiRows reads the KPIs of the days of p, days in order and KPIs in the
// order of kpi.Definitions.
func kpiRows(ctx context.Context, db DB, p Period) ([]kpiRow, error) {
	rows, err := db.Query(ctx, `
		SELECT day::timestamp, kpi, value, target, status, source FROM kpi_daily
		WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day < ($2::timestamptz AT TIME ZONE 'UTC')::date
		ORDER BY day, array_position($3::text[], kpi), kpi`, p.Start, p.End, kpi.Names)
	if err != nil {
		return nil, fmt.Errorf("section kpis: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[kpiRow])
	if err != nil {
		return nil, fmt.Errorf("section kpis: %w", err)
	}
	return out, nil
}

// definition returns how k reads; an unknown KPI reads as a number.
func definition(k string) kpi.Definition {
	for _, d := range kpi.Definitions {
		if d.Name == k {
			return d
		}
	}
	return kpi.Definition{Name: k, Title: k}
}

// fmtKPI formats a KPI's value with at most one decimal, shares in
// percent; "n/a" when not available.
func fmtKPI(k string, v *float64) string {
	switch {
	case v == nil:
		return "n/a"
	case definition(k).Share:
		return fmtNumber(100**v) + " %"
	}
	return fmtNumber(*v)
}

// fmtTarget formats a KPI's target with its comparison ("< 5 %", "≤ 0");
// "" when it has none.
func fmtTarget(k string, v *float64) string {
	if v == nil {
		return ""
	}
	if definition(k).Below {
		return "< " + fmtKPI(k, v)
	}
	return "≤ " + fmtKPI(k, v)
}
