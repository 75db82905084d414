package report

import (
	"context"
	"fmt"
	"strconv"
)

// exceptionsSection states what the archive could not read in p: the dead
// letters per day, stage and reason class, and the incomplete days (days
// with no archived event at all, or with dead letters).
func exceptionsSection(ctx context.Context, db DB, p Period) (Section, error) {
	letters, err := queryTable(ctx, db, Table{ID: "dead_letters", Title: "Dead letters by day, stage and reason",
		Columns: []string{"day", "stage", "reason class", "dead letters"}}, `
		SELECT day, stage, reason_class, count FROM archive_dead_letters_daily
		WHERE day >= $1::date AND day < $2::date
		ORDER BY day, stage, reason_class`, p.Start, p.End)
	if err != nil {
		return Section{}, err
	}
	days, err := dailyTable(ctx, db, p)
	if err != nil {
		return Section{}, err
	}
	incomplete := incompleteDays(days, letters)
	dead := sumColumn(letters, 3)
	var findings []Finding
	if n := len(incomplete.Rows); n > 0 {
		findings = append(findings, Finding{Severity: Warning, Title: "Incomplete days",
			Detail: fmt.Sprintf("%s of %s had no archived event or had dead letters (table incomplete_days): "+
				"what they hold may be partial.", plural(int64(n), "day", "days"), p.Name)})
	}
	return Section{
		ID: "exceptions", Title: "Exceptions",
		Summary: fmt.Sprintf("%s and %s in %s.", plural(dead, "dead letter", "dead letters"),
			plural(int64(len(incomplete.Rows)), "incomplete day", "incomplete days"), p.Name),
		Records: dead,
		Figures: []Figure{
			{Name: "Dead letters", Value: fmtCount(dead), Target: "0", Status: statusIf(dead > 0, Warning)},
			{Name: "Incomplete days", Value: fmtCount(int64(len(incomplete.Rows))), Target: "0",
				Status: statusIf(len(incomplete.Rows) > 0, Warning)},
		},
		Findings: findings,
		Tables:   []Table{letters, incomplete},
	}, nil
}

// incompleteDays lists the days of days (dailyTable: day, events, ...)
// without an event or with dead letters in letters (day, ..., count).
func incompleteDays(days, letters Table) Table {
	t := Table{ID: "incomplete_days", Title: "Incomplete days",
		Columns: []string{"day", "events", "dead letters", "why"}, Rows: [][]string{}}
	for _, d := range days.Rows {
		var dead int64
		for _, l := range letters.Rows {
			if l[0] == d[0] {
				n, _ := strconv.ParseInt(l[3], 10, 64)
				dead += n
			}
		}
		var why string
		switch {
		case d[1] == "0" && dead > 0:
			why = "no archived event; dead letters"
		case d[1] == "0":
			why = "no archived event"
		case dead > 0:
			why = "dead letters"
		default:
			continue
		}
		t.Rows = append(t.Rows, []string{d[0], d[1], fmtCount(dead), why})
	}
	return t
}
