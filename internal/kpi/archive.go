package kpi

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DB is what the KPIs read and write Postgres through: a *pgxpool.Pool, a
// *pgx.Conn or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ArchiveSource counts the events of the archive (archive_events, forward
// SINK=postgres): the source when the archive exists, the one the reports
// read, so the KPIs and the reports agree. It keeps each eventId once by
// construction, and event times to the microsecond.
type ArchiveSource struct {
	DB DB
}

var _ EventSource = ArchiveSource{}

// Name is "archive".
func (ArchiveSource) Name() string { return "archive" }

// Counts counts the archived events of each day of [from, to).
func (a ArchiveSource) Counts(ctx context.Context, from, to time.Time) ([]DayCounts, error) {
	rows, err := a.DB.Query(ctx, `
		SELECT d, coalesce(e.events, 0), coalesce(e.attempts, 0), coalesce(e.failed, 0), coalesce(e.members, 0),
		       coalesce(e.changes, 0), coalesce(e.security, 0), coalesce(e.ops, 0), coalesce(e.failed_ops, 0)
		FROM generate_series($1::timestamptz AT TIME ZONE 'UTC', ($2::timestamptz AT TIME ZONE 'UTC') - interval '1 day',
		                     interval '1 day') d
		LEFT JOIN (
			SELECT date_trunc('day', event_time AT TIME ZONE 'UTC') AS day, count(*) AS events,
			       count(*) FILTER (WHERE event_type = ANY($3)) AS attempts,
			       count(*) FILTER (WHERE event_type = ANY($3) AND outcome = 'failure') AS failed,
			       count(DISTINCT coalesce(actor_id, actor_email))
			             FILTER (WHERE event_type = ANY($3) AND outcome IS DISTINCT FROM 'failure') AS members,
			       count(*) FILTER (WHERE event_type = ANY($4)) AS changes,
			       count(*) FILTER (WHERE event_type = ANY($5)) AS security,
			       count(*) FILTER (WHERE event_type = ANY($6) AND outcome IS NOT NULL) AS ops,
			       count(*) FILTER (WHERE event_type = ANY($6) AND outcome = 'failure') AS failed_ops
			FROM archive_events WHERE event_time >= $1 AND event_time < $2
			GROUP BY 1) e ON e.day = d
		ORDER BY d`, from, to, TypesLogin, TypesChange, TypesSecurity, TypesOperation)
	if err != nil {
		return nil, fmt.Errorf("count archived events from %s: %w", from.Format(time.DateOnly), err)
	}
	days, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DayCounts, error) {
		var c DayCounts
		err := r.Scan(&c.Day, &c.Events, &c.LoginAttempts, &c.FailedLogins, &c.ActiveMembers,
			&c.Changes, &c.SecurityEvents, &c.Operations, &c.FailedOperations)
		c.Day = Day(c.Day)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count archived events from %s: %w", from.Format(time.DateOnly), err)
	}
	return days, nil
}

// HoldsEvents reports whether the archive holds any event: whether
// forward SINK=postgres fills it, and the KPIs should read it rather than
// the topic.
func HoldsEvents(ctx context.Context, db DB) (bool, error) {
	var ok bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM archive_events)`).Scan(&ok); err != nil {
		return false, fmt.Errorf("look for archived events: %w", err)
	}
	return ok, nil
}

// SelectSource returns the archive over db when it holds events, else
// topic: the audit-event KPIs come from the archive when forward
// SINK=postgres fills it, and from the events topic otherwise.
func SelectSource(ctx context.Context, db DB, topic TopicSource) (EventSource, error) {
	ok, err := HoldsEvents(ctx, db)
	if err != nil {
		return nil, err
	}
	if ok {
		return ArchiveSource{DB: db}, nil
	}
	return topic, nil
}
