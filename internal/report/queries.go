package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// The queries below are the report's answers to questions other readers of
// the archive ask too (cmd/mcp): exported so that the same question gets
// the same SQL, and the same answer, wherever it is asked.

// TopApplications lists the limit applications with the most block and
// application changes in p, most changed first.
func TopApplications(ctx context.Context, db DB, p Period, limit int) (Table, error) {
	return queryTable(ctx, db, Table{ID: "top_applications", Title: "Most changed applications",
		Columns: []string{"application", "application id", "block changes", "application changes", "changes"}}, `
		SELECT coalesce(max(application_name), application_id, ''), coalesce(application_id, ''),
		       count(*) FILTER (WHERE event_type = ANY($3)), count(*) FILTER (WHERE event_type = ANY($4)), count(*)
		FROM archive_events
		WHERE event_time >= $1 AND event_time < $2 AND (event_type = ANY($3) OR event_type = ANY($4))
		GROUP BY application_id
		ORDER BY count(*) DESC, application_id NULLS LAST
		LIMIT $5`, p.Start, p.End, typesBlockChange, typesAppChange, limit)
}

// InactiveMembers lists the members seen in the archive before end who did
// not log in successfully for days days or more at end, as the dormant
// section counts them (members deactivated at end left out; a member who
// never logged in counts from the first time the archive saw them), the
// longest without a login first.
func InactiveMembers(ctx context.Context, db DB, end time.Time, days int) (Table, error) {
	rows, err := memberLogins(ctx, db, end)
	if err != nil {
		return Table{}, err
	}
	t := Table{ID: "inactive_members", Title: fmt.Sprintf("Members without a login for %d days or more", days),
		Columns: []string{"member", "member id", "last login", "first seen", "days without login"}, Rows: [][]string{}}
	var key, email string
	var first time.Time
	var last *time.Time
	_, err = pgx.ForEachRow(rows, []any{&key, &email, &first, &last}, func() error {
		ref, lastText := first, "none in the archive"
		if last != nil {
			ref, lastText = *last, fmtTime(*last)
		}
		if n, _ := dormantDays(ref, end); n >= days {
			t.Rows = append(t.Rows, []string{email, key, lastText, fmtTime(first), fmt.Sprint(n)})
		}
		return nil
	})
	if err != nil {
		return Table{}, fmt.Errorf("inactive members: %w", err)
	}
	return t, nil
}

// PrivilegedMembers lists the members whose latest known account type
// before end is Primary Owner, Security Admin or Workspace Admin, as the
// privileged section does.
func PrivilegedMembers(ctx context.Context, db DB, end time.Time) (Table, error) {
	states, _, err := memberStates(ctx, db, end)
	if err != nil {
		return Table{}, err
	}
	t, _ := privilegedTable(states)
	return t, nil
}

// AccountChanges lists the account-type and role changes in p, oldest
// first, as the security section does.
func AccountChanges(ctx context.Context, db DB, p Period) (Table, error) {
	return changesTable(ctx, db, p, Table{ID: "account_changes", Title: "Account-type and role changes"}, typesAccountType)
}

// APIKeyChanges lists the API keys created and revoked in p, oldest first.
func APIKeyChanges(ctx context.Context, db DB, p Period) (Table, error) {
	return changesTable(ctx, db, p, Table{ID: "api_key_changes", Title: "API keys created and revoked"},
		slices.Concat(typesKeyCreated, typesKeyRevoked))
}

// KPITable lists the KPIs computed for the days of p (kpi_daily), by day
// and in the order of kpi.Definitions, formatted as the KPI section shows
// them.
func KPITable(ctx context.Context, db DB, p Period) (Table, error) {
	rows, err := kpiRows(ctx, db, p)
	if err != nil {
		return Table{}, err
	}
	t := Table{ID: "kpi_daily", Title: "KPIs by day", Columns: []string{"day", "kpi", "value", "target", "status", "source"},
		Rows: [][]string{}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{fmtDay(r.Day), r.KPI, fmtKPI(r.KPI, r.Value), fmtTarget(r.KPI, r.Target), r.Status, r.Source})
	}
	return t, nil
}

// QueryTable fills t's rows from sql, each cell formatted as the reports
// format it (times in RFC 3339 UTC, numbers plainly), so that other readers
// of the archive show values as the reports do. sql must return t's
// columns in order and order its rows completely.
func QueryTable(ctx context.Context, db DB, t Table, sql string, args ...any) (Table, error) {
	return queryTable(ctx, db, t, sql, args...)
}
