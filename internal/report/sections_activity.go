package report

import (
	"context"
	"fmt"
	"strings"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// failedLoginTarget is the seed's KPI: failed logins under 5 % of attempts
// (the failed-login-share KPI's default target, internal/kpi).
var failedLoginTarget = kpi.DefaultThresholds().FailedLoginShare

// topApplications is how many applications the most-changed table lists.
const topApplications = 10

// changeVolumeSection is the week's block and application changes against
// the baseline, and the applications changed most.
func changeVolumeSection(ctx context.Context, db DB, p Period, weeks []weekFigures) (Section, error) {
	figs, findings, volume := changeVolumeFigures(weeks)
	apps, err := TopApplications(ctx, db, p, topApplications)
	if err != nil {
		return Section{}, err
	}
	cur := weeks[len(weeks)-1]
	return Section{
		ID: "changes", Title: "Change volume",
		Summary: fmt.Sprintf("%s (%s) in %s, judged against the mean of the previous %d weeks plus 20 %%.",
			plural(cur.Changes(), "change", "changes"), strings.Join(typesChange, ", "), p.Name, baselineWeeks),
		Records:  cur.Changes(),
		Figures:  figs,
		Findings: findings,
		Tables:   []Table{volume, apps},
		Charts: []Chart{
			{ID: "change_volume_chart", Title: "Changes by week", Kind: Line, Table: volume.ID, Label: 0, Values: []int{4}},
			{ID: "top_applications_chart", Title: "Changes by application", Kind: Bars, Table: apps.ID, Label: 0, Values: []int{4}},
		},
	}, nil
}

// judgeFailedShare is the status of a failed-login share: a warning at or
// past the target, info below it or without attempts.
func judgeFailedShare(failed, attempts int64) Severity {
	if attempts > 0 && float64(failed) >= failedLoginTarget*float64(attempts) {
		return Warning
	}
	return Info
}

// loginsSection is the failed-login share of the period and the logins by
// hour of day (UTC).
func loginsSection(ctx context.Context, db DB, p Period) (Section, error) {
	hours, err := queryTable(ctx, db, Table{ID: "logins_by_hour", Title: "Logins by hour of day (UTC)",
		Columns: []string{"hour", "successful", "failed"}}, `
		SELECT lpad(h::text, 2, '0') || ':00', coalesce(l.ok, 0), coalesce(l.failed, 0)
		FROM generate_series(0, 23) h LEFT JOIN (
			SELECT extract(hour FROM event_time AT TIME ZONE 'UTC')::int AS hour,
			       count(*) FILTER (WHERE outcome IS DISTINCT FROM 'failure') AS ok,
			       count(*) FILTER (WHERE outcome = 'failure') AS failed
			FROM archive_events WHERE event_type = ANY($3) AND event_time >= $1 AND event_time < $2
			GROUP BY 1) l ON l.hour = h
		ORDER BY h`, p.Start, p.End, typesLogin)
	if err != nil {
		return Section{}, err
	}
	ok, failed := sumColumn(hours, 1), sumColumn(hours, 2)
	attempts := ok + failed
	status := judgeFailedShare(failed, attempts)
	var findings []Finding
	if status == Warning {
		findings = append(findings, Finding{Severity: Warning, Title: "Failed logins at or above 5 % of attempts",
			Detail: fmt.Sprintf("%s of %s login attempts failed (%s).", fmtCount(failed), fmtCount(attempts), fmtPercent(failed, attempts))})
	}
	return Section{
		ID: "logins", Title: "Logins",
		Summary: fmt.Sprintf("%s (UserLoggedIn) in %s, %s failed.", plural(attempts, "login attempt", "login attempts"),
			p.Name, fmtCount(failed)),
		Records: attempts,
		Figures: []Figure{
			{Name: "Login attempts", Value: fmtCount(attempts)},
			{Name: "Failed logins", Value: fmtCount(failed)},
			{Name: "Failed-login share", Value: fmtPercent(failed, attempts), Target: "< 5 %", Status: status},
		},
		Findings: findings,
		Tables:   []Table{hours},
		Charts: []Chart{{ID: "logins_by_hour_chart", Title: "Logins by hour of day (UTC)", Kind: Bars,
			Table: hours.ID, Label: 0, Values: []int{1, 2}}},
	}, nil
}

// dailyActivitySection counts, per day of the period, the archived events,
// the logins and the members who did anything.
func dailyActivitySection(ctx context.Context, db DB, p Period) (Section, error) {
	days, err := dailyTable(ctx, db, p)
	if err != nil {
		return Section{}, err
	}
	return Section{
		ID: "daily_activity", Title: "Daily activity",
		Summary: fmt.Sprintf("%s in %s, by day of event time (UTC).", plural(sumColumn(days, 1), "event", "events"), p.Name),
		Records: sumColumn(days, 1),
		Tables:  []Table{days},
		Charts: []Chart{{ID: "daily_activity_chart", Title: "Daily activity", Kind: Line,
			Table: days.ID, Label: 0, Values: []int{1, 3}}},
	}, nil
}

// dailyTable is one row per day of p, days without an event included.
func dailyTable(ctx context.Context, db DB, p Period) (Table, error) {
	return queryTable(ctx, db, Table{ID: "daily_activity_by_day", Title: "Events, logins and active members by day",
		Columns: []string{"day", "events", "logins", "active members"}}, `
		SELECT d::date, coalesce(e.events, 0), coalesce(e.logins, 0), coalesce(e.members, 0)
		FROM generate_series($1::timestamptz AT TIME ZONE 'UTC', ($2::timestamptz AT TIME ZONE 'UTC') - interval '1 day',
		                     interval '1 day') d
		LEFT JOIN (
			SELECT date_trunc('day', event_time AT TIME ZONE 'UTC') AS day, count(*) AS events,
			       count(*) FILTER (WHERE event_type = ANY($3)) AS logins,
			       count(DISTINCT coalesce(actor_id, actor_email)) AS members
			FROM archive_events WHERE event_time >= $1 AND event_time < $2
			GROUP BY 1) e ON e.day = d
		ORDER BY d`, p.Start, p.End, typesLogin)
}
