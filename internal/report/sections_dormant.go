package report

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// dormantBuckets are the dormancy thresholds in days, longest first.
var dormantBuckets = []int{90, 60, 30}

// dormantDays returns how many whole days separate the reference time
// (the last successful login, else the first time the member was seen)
// from end, and the longest threshold of dormantBuckets it reaches (0 for
// none).
func dormantDays(ref, end time.Time) (days, bucket int) {
	days = int(end.Sub(ref) / (24 * time.Hour))
	for _, b := range dormantBuckets {
		if days >= b {
			return days, b
		}
	}
	return days, 0
}

// memberLogins queries, for each member seen in the archive before end
// (as the actor of an event) and not deactivated at end, their key, email,
// first event and last successful login (NULL for none), the longest
// without a login first. dormantSection and InactiveMembers read it. A
// member is their id; an event naming only an email (case aside) counts for
// the one id the actors' events give that email, else for the email.
func memberLogins(ctx context.Context, db DB, end time.Time) (pgx.Rows, error) {
	rows, err := db.Query(ctx, `
		WITH g AS (
			SELECT actor_id, lower(actor_email) AS email, max(actor_email) AS shown, min(event_time) AS first,
			       max(event_time) FILTER (WHERE event_type = ANY($2) AND outcome IS DISTINCT FROM 'failure') AS last_login
			FROM archive_events WHERE event_time < $1 AND coalesce(actor_id, actor_email) IS NOT NULL
			GROUP BY 1, 2
		), ids AS (
			SELECT email, min(actor_id) AS id FROM g WHERE actor_id IS NOT NULL AND email IS NOT NULL
			GROUP BY email HAVING count(DISTINCT actor_id) = 1
		), m AS (
			SELECT coalesce(g.actor_id, ids.id, g.email) AS m, coalesce(max(g.shown), '') AS email, min(g.first) AS first,
			       max(g.last_login) AS last_login
			FROM g LEFT JOIN ids ON g.actor_id IS NULL AND ids.email = g.email
			GROUP BY 1
		), st AS (
			SELECT DISTINCT ON (k) k AS m, deact FROM (
				SELECT coalesce(e.target_id, ids.id, lower(e.target_email)) AS k, e.event_type = ANY($4) AS deact,
				       e.event_time, e.event_id
				FROM archive_events e LEFT JOIN ids ON e.target_id IS NULL AND ids.email = lower(e.target_email)
				WHERE e.event_type = ANY($3) AND e.event_time < $1) x
			WHERE k IS NOT NULL
			ORDER BY k, event_time DESC, event_id DESC
		)
		SELECT m.m, m.email, m.first, m.last_login
		FROM m LEFT JOIN st ON st.m = m.m
		WHERE st.deact IS NOT TRUE
		ORDER BY coalesce(m.last_login, m.first), m.m`, end, typesLogin, typesStatus, typesDeactivation)
	if err != nil {
		return nil, fmt.Errorf("dormant members: %w", err)
	}
	return rows, nil
}

// dormantSection lists the members seen in the archive (as the actor of an
// event before the end of p) who did not log in successfully for 30, 60 or
// 90 days at the end of p. A member who never logged in within the archive
// counts from the first time the archive saw them; members deactivated at
// the end of p are left out.
func dormantSection(ctx context.Context, db DB, p Period) (Section, error) {
	rows, err := memberLogins(ctx, db, p.End)
	if err != nil {
		return Section{}, err
	}
	t := Table{ID: "dormant_members", Title: "Members without a login for 30 days or more",
		Columns: []string{"member", "member id", "last login", "first seen", "days without login", "dormant for"},
		Rows:    [][]string{}}
	counts := make([]int64, len(dormantBuckets))
	var seen int64
	var key, email string
	var first time.Time
	var last *time.Time
	_, err = pgx.ForEachRow(rows, []any{&key, &email, &first, &last}, func() error {
		seen++
		ref, lastText := first, "none in the archive"
		if last != nil {
			ref, lastText = *last, fmtTime(*last)
		}
		days, bucket := dormantDays(ref, p.End)
		if bucket == 0 {
			return nil
		}
		for i, b := range dormantBuckets {
			if days >= b {
				counts[i]++
			}
		}
		t.Rows = append(t.Rows, []string{email, key, lastText, fmtTime(first), fmt.Sprint(days), fmt.Sprintf("%d+ days", bucket)})
		return nil
	})
	if err != nil {
		return Section{}, fmt.Errorf("dormant members: %w", err)
	}
	figs := make([]Figure, len(dormantBuckets))
	for i, b := range dormantBuckets {
		figs[len(figs)-1-i] = Figure{Name: fmt.Sprintf("No login for %d+ days", b), Value: fmtCount(counts[i])}
	}
	return Section{
		ID: "dormant", Title: "Dormant members",
		Summary: fmt.Sprintf("%s of the %s seen in the archive did not log in for 30 days or more at %s "+
			"(members deactivated then are left out).", plural(counts[len(counts)-1], "member", "members"),
			plural(seen, "member", "members"), fmtTime(p.End)),
		Records: seen, Figures: figs, Tables: []Table{t},
	}, nil
}
