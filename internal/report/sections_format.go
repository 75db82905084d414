package report

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Cells are text formatted once, here, so that the JSON, the CSV and the
// HTML show the same thing and the same archive gives the same bytes:
// times RFC 3339 in UTC to the second, days as YYYY-MM-DD, counts in
// decimal, shares with one decimal and a percent sign.

// fmtTime formats t as RFC 3339 in UTC, to the second; "" for zero.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// fmtDay formats the UTC day of t.
func fmtDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// fmtCount formats a count.
func fmtCount(n int64) string { return strconv.FormatInt(n, 10) }

// fmtPercent formats part/whole as a percentage with one decimal, "n/a"
// when whole is 0.
func fmtPercent(part, whole int64) string {
	if whole == 0 {
		return "n/a"
	}
	return strconv.FormatFloat(math.Round(1000*float64(part)/float64(whole))/10, 'f', 1, 64) + " %"
}

// fmtNumber formats a mean or a limit with at most one decimal.
func fmtNumber(v float64) string {
	return strconv.FormatFloat(math.Round(10*v)/10, 'f', -1, 64)
}

// plural returns "1 event" or "n events".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmtCount(n) + " " + many
}

// cell formats one value a query returned: timestamps with fmtTime, dates
// with fmtDay, integers in decimal, arrays of text joined by spaces, NULL
// as "".
func cell(v any, oid uint32) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case time.Time:
		if oid == pgtype.DateOID {
			return fmtDay(v)
		}
		return fmtTime(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int16:
		return strconv.FormatInt(int64(v), 10)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = cell(e, 0)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// queryTable fills t's rows from sql, one cell per column (see cell). The
// query must return t's columns, in order, and order its rows completely
// (ties broken by an id) so the same archive gives the same table.
func queryTable(ctx context.Context, db DB, t Table, sql string, args ...any) (Table, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return t, fmt.Errorf("table %s: %w", t.ID, err)
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	if len(fds) != len(t.Columns) {
		return t, fmt.Errorf("table %s: query returns %d columns for %d", t.ID, len(fds), len(t.Columns))
	}
	t.Rows = [][]string{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return t, fmt.Errorf("table %s: %w", t.ID, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = cell(v, fds[i].DataTypeOID)
		}
		t.Rows = append(t.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("table %s: %w", t.ID, err)
	}
	return t, nil
}

// sumColumn adds the integers of column col of t (cells that are not
// integers count 0).
func sumColumn(t Table, col int) int64 {
	var n int64
	for _, r := range t.Rows {
		v, _ := strconv.ParseInt(r[col], 10, 64)
		n += v
	}
	return n
}

// memberSQL is how tables name a member from columns prefix_email,
// prefix_name and prefix_id: the email, else the name, else the id.
func memberSQL(prefix string) string {
	return fmt.Sprintf("coalesce(%[1]s_email, %[1]s_name, %[1]s_id, '')", prefix)
}

// statusIf is sev when bad, else Info: a figure's status against its target.
func statusIf(bad bool, sev Severity) Severity {
	if bad {
		return sev
	}
	return Info
}
