package report

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/inventory"
)

// largeWarningBlocks is the seed's weekly check: an application of more
// than 300 blocks is a warning (the policy's large-application threshold,
// 200 by default, is a finding of its own, shown as info).
const largeWarningBlocks = 300

// snapshotRow is the newest inventory snapshot of a period
// (inventory_snapshots, internal/inventory).
type snapshotRow struct {
	ID                                  int64
	TakenAt                             time.Time
	Applications, Blocks, Metrics       int64
	AvgDimensions                       *float64
	LargeApplications, NamingViolations int64
}

// inventorySection is the workspace inventory as the newest snapshot taken
// before the period's end says (the inventory program keeps its snapshots
// in the archive's database): its figures, its large applications with
// their block counts (more than 300: a warning, as the seed's weekly
// check), blocks by type, and every finding of the snapshot with its
// severity. Pending when no snapshot exists, or when the archive's database
// holds no inventory.
func inventorySection(ctx context.Context, db DB, p Period) (Section, error) {
	s := Section{ID: "inventory", Title: "Workspace inventory"}
	if exists, err := tableExists(ctx, db, "inventory_snapshots"); err != nil || !exists {
		s.Pending = "The archive's database holds no inventory: the inventory program keeps its snapshots in ARCHIVE_DATABASE_URL."
		return s, err
	}
	rows, err := db.Query(ctx, `
		SELECT id, taken_at, applications, blocks, metrics, avg_dimensions, large_applications, naming_violations
		FROM inventory_snapshots WHERE taken_at < $1 ORDER BY taken_at DESC, id DESC LIMIT 1`, p.End)
	if err != nil {
		return Section{}, fmt.Errorf("section inventory: %w", err)
	}
	snaps, err := pgx.CollectRows(rows, pgx.RowToStructByPos[snapshotRow])
	if err != nil {
		return Section{}, fmt.Errorf("section inventory: %w", err)
	}
	if len(snaps) == 0 {
		s.Pending = "No inventory snapshot was taken before the end of " + p.Name + ": `inventory once` or `inventory run` takes them."
		return s, nil
	}
	snap := snaps[0]
	large, err := largeApplications(ctx, db, snap.ID)
	if err != nil {
		return Section{}, err
	}
	byType, err := inventoryTable(ctx, db, "inventory_blocks_by_type", "Blocks by type", []string{"type", "blocks"}, `
		SELECT type, count(*)::text FROM inventory_blocks WHERE snapshot_id = $1 GROUP BY type ORDER BY type`, snap.ID)
	if err != nil {
		return Section{}, err
	}
	findings, err := inventoryTable(ctx, db, "inventory_findings", "Findings of the snapshot", []string{"rule", "key", "severity", "title"}, `
		SELECT rule, key, severity, title FROM inventory_snapshot_findings WHERE snapshot_id = $1 ORDER BY rule, key`, snap.ID)
	if err != nil {
		return Section{}, err
	}
	counts := map[string]int64{}
	for _, r := range findings.Rows {
		counts[r[0]]++
	}
	avg := "n/a"
	if snap.AvgDimensions != nil {
		avg = fmtNumber(*snap.AvgDimensions)
	}
	s.Figures = []Figure{
		{Name: "Snapshot", Value: fmt.Sprintf("%d (%s)", snap.ID, fmtTime(snap.TakenAt))},
		{Name: "Applications", Value: fmtCount(snap.Applications)},
		{Name: "Blocks", Value: fmtCount(snap.Blocks)},
		{Name: "Metrics", Value: fmtCount(snap.Metrics)},
		{Name: "Average dimensions per metric", Value: avg},
		{Name: "Large applications", Value: fmtCount(snap.LargeApplications), Target: "≤ 0", Status: statusIf(snap.LargeApplications > 0, Warning)},
		{Name: "Naming violations", Value: fmtCount(snap.NamingViolations), Target: "≤ 0", Status: statusIf(snap.NamingViolations > 0, Warning)},
		{Name: "Complex metrics", Value: fmtCount(counts[inventory.RuleComplexMetric])},
	}
	s.Findings = inventoryFindings(large, findings, counts)
	s.Records, s.Tables = int64(len(findings.Rows)), []Table{large, byType, findings}
	s.Summary = fmt.Sprintf("Snapshot %d of %s: %s, %s; %s.", snap.ID, fmtTime(snap.TakenAt),
		plural(snap.Applications, "application", "applications"), plural(snap.Blocks, "block", "blocks"),
		plural(int64(len(findings.Rows)), "finding", "findings"))
	return s, nil
}

// inventoryFindings are the reviewer's findings: each large application
// (a warning over 300 blocks), each drift, and the naming violations and
// complex metrics counted (their table lists them).
func inventoryFindings(large, findings Table, counts map[string]int64) []Finding {
	var out []Finding
	for _, r := range large.Rows {
		n, _ := strconv.ParseInt(r[2], 10, 64)
		sev := statusIf(n > largeWarningBlocks, Warning)
		out = append(out, Finding{Severity: sev, Title: "Large application " + r[1],
			Detail: fmt.Sprintf("%s (warning above %d).", plural(n, "block", "blocks"), largeWarningBlocks)})
	}
	for _, r := range findings.Rows {
		if r[0] == inventory.RuleDrift {
			out = append(out, Finding{Severity: Warning, Title: r[3], Detail: "Severity " + r[2] + " (" + r[1] + ")."})
		}
	}
	if n := counts[inventory.RuleNaming]; n > 0 {
		out = append(out, Finding{Severity: Info, Title: "Naming violations",
			Detail: plural(n, "block breaks", "blocks break") + " the naming conventions (table inventory_findings)."})
	}
	if n := counts[inventory.RuleComplexMetric]; n > 0 {
		out = append(out, Finding{Severity: Info, Title: "Complex metrics",
			Detail: plural(n, "metric has", "metrics have") + " more dimensions than the policy allows (table inventory_findings)."})
	}
	return out
}

// largeApplications are the snapshot's large-application findings with
// each application's blocks, the largest first.
func largeApplications(ctx context.Context, db DB, id int64) (Table, error) {
	return inventoryTable(ctx, db, "inventory_large_applications", "Large applications",
		[]string{"application", "name", "blocks", "severity"}, `
		SELECT a.id, a.name, count(b.id)::text, f.severity
		FROM inventory_snapshot_findings f
		JOIN inventory_applications a ON a.snapshot_id = f.snapshot_id AND f.key = 'application:' || a.id
		LEFT JOIN inventory_blocks b ON b.snapshot_id = a.snapshot_id AND b.application_id = a.id
		WHERE f.snapshot_id = $1 AND f.rule = $2
		GROUP BY a.id, a.name, f.severity ORDER BY count(b.id) DESC, a.name, a.id`, id, inventory.RuleLargeApplication)
}

// inventoryTable reads a table of text columns.
func inventoryTable(ctx context.Context, db DB, id, title string, columns []string, sql string, args ...any) (Table, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return Table{}, fmt.Errorf("section inventory, %s: %w", id, err)
	}
	t := Table{ID: id, Title: title, Columns: columns, Rows: [][]string{}}
	for rows.Next() {
		cells := make([]string, len(columns))
		dst := make([]any, len(columns))
		for i := range cells {
			dst[i] = &cells[i]
		}
		if err := rows.Scan(dst...); err != nil {
			rows.Close()
			return Table{}, fmt.Errorf("section inventory, %s: %w", id, err)
		}
		t.Rows = append(t.Rows, cells)
	}
	if err := rows.Err(); err != nil {
		return Table{}, fmt.Errorf("section inventory, %s: %w", id, err)
	}
	return t, nil
}
