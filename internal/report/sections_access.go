package report

import (
	"context"
	"fmt"
)

// accessControlSection is the monthly audit's access control review:
// account-type and role changes, invitations, deactivations and
// reactivations, and any activity of a member after their deactivation.
func accessControlSection(ctx context.Context, db DB, p Period) (Section, error) {
	changes, err := changesTable(ctx, db, p, Table{ID: "account_type_changes", Title: "Account-type and role changes"}, typesAccountType)
	if err != nil {
		return Section{}, err
	}
	invites, err := queryTable(ctx, db, Table{ID: "invites", Title: "Members invited",
		Columns: []string{"time", "event type", "member", "member id", "invited by", "invited by id", "event id"}}, `
		SELECT event_time, event_type, `+memberSQL("target")+`, coalesce(target_id, ''),
		       `+memberSQL("actor")+`, coalesce(actor_id, ''), event_id
		FROM archive_events WHERE event_type = ANY($3) AND event_time >= $1 AND event_time < $2
		ORDER BY event_time, event_id`, p.Start, p.End, typesInvite)
	if err != nil {
		return Section{}, err
	}
	status, err := queryTable(ctx, db, Table{ID: "status_changes", Title: "Members deactivated and reactivated",
		Columns: []string{"time", "change", "event type", "member", "member id", "by", "by id", "event id"}}, `
		SELECT event_time, CASE WHEN event_type = ANY($4) THEN 'deactivated' ELSE 'reactivated' END, event_type,
		       `+memberSQL("target")+`, coalesce(target_id, ''), `+memberSQL("actor")+`, coalesce(actor_id, ''), event_id
		FROM archive_events WHERE event_type = ANY($3) AND event_time >= $1 AND event_time < $2
		ORDER BY event_time, event_id`, p.Start, p.End, typesStatus, typesDeactivation)
	if err != nil {
		return Section{}, err
	}
	after, err := afterDeactivationTable(ctx, db, p)
	if err != nil {
		return Section{}, err
	}
	findings := grantFindings(changes)
	for _, r := range after.Rows {
		findings = append(findings, Finding{Severity: Critical, Title: "Activity after deactivation: " + r[0],
			Detail: fmt.Sprintf("%s (%s) was deactivated at %s and then made %s events (%s), from %s to %s.",
				r[0], r[1], r[2], r[4], r[7], r[5], r[6])})
	}
	late := sumColumn(after, 4)
	return Section{
		ID: "access_control", Title: "Access control",
		Summary: fmt.Sprintf("%s, %s, %s in %s; %s by members after their deactivation.",
			plural(int64(len(changes.Rows)), "account-type or role change", "account-type or role changes"),
			plural(int64(len(invites.Rows)), "invitation", "invitations"),
			plural(int64(len(status.Rows)), "deactivation or reactivation", "deactivations or reactivations"),
			p.Name, plural(late, "event", "events")),
		Records: int64(len(changes.Rows)+len(invites.Rows)+len(status.Rows)) + late,
		Figures: []Figure{
			{Name: "Account-type and role changes", Value: fmtCount(int64(len(changes.Rows)))},
			{Name: "Members invited", Value: fmtCount(int64(len(invites.Rows)))},
			{Name: "Deactivations and reactivations", Value: fmtCount(int64(len(status.Rows)))},
			{Name: "Members active after deactivation", Value: fmtCount(int64(len(after.Rows))), Target: "0",
				Status: statusIf(len(after.Rows) > 0, Critical)},
		},
		Findings: findings,
		Tables:   []Table{changes, invites, status, after},
	}, nil
}

// afterDeactivationTable lists, per deactivation, the events its member
// made in p after it and before their next status change (a reactivation,
// or another deactivation, which then takes over). A deactivation before p
// counts when the member was still deactivated in p.
//
// Events name a member by id, by email or by both. A status change naming
// only an email belongs to the member id the other status changes give
// that email (case aside), when they give exactly one: so a reactivation
// naming only the email ends a deactivation naming id and email, and the
// other way round. An actor's event belongs to a deactivation when the ids
// are equal, or when one of them has no id and the emails are equal; two
// ids that differ are two members, whatever their emails.
func afterDeactivationTable(ctx context.Context, db DB, p Period) (Table, error) {
	return queryTable(ctx, db, Table{ID: "activity_after_deactivation", Title: "Activity after a deactivation",
		Columns: []string{"member", "member id", "deactivated at", "deactivation event id", "events",
			"first event", "last event", "event types", "event ids"}}, `
		WITH s AS (
			SELECT event_id, event_time, event_type = ANY($4) AS deact, target_id, target_email,
			       lower(target_email) AS email
			FROM archive_events
			WHERE event_type = ANY($3) AND event_time < $2 AND coalesce(target_id, target_email) IS NOT NULL
		), ids AS (
			SELECT email, min(target_id) AS id FROM s
			WHERE target_id IS NOT NULL AND email IS NOT NULL
			GROUP BY email HAVING count(DISTINCT target_id) = 1
		), k AS (
			SELECT s.*, coalesce(s.target_id, ids.id) AS member_id, lead(s.event_time) OVER (PARTITION BY coalesce(s.target_id, ids.id, 'email:' || s.email)
			                                     ORDER BY s.event_time, s.event_id) AS next
			FROM s LEFT JOIN ids ON s.target_id IS NULL AND ids.email = s.email
		), d AS (
			SELECT * FROM k WHERE deact AND (next IS NULL OR next > $1)
		), a AS (
			SELECT d.event_id AS deact_id, e.event_id, e.event_time, e.event_type
			FROM d JOIN archive_events e ON e.actor_id = d.member_id
			WHERE e.event_time > d.event_time AND (d.next IS NULL OR e.event_time < d.next)
			  AND e.event_time >= $1 AND e.event_time < $2
			UNION
			SELECT d.event_id, e.event_id, e.event_time, e.event_type
			FROM d JOIN archive_events e ON lower(e.actor_email) = d.email
			WHERE (e.actor_id IS NULL OR d.member_id IS NULL) AND e.event_time > d.event_time
			  AND (d.next IS NULL OR e.event_time < d.next) AND e.event_time >= $1 AND e.event_time < $2
		)
		SELECT coalesce(d.target_email, d.target_id), coalesce(d.target_id, ''), d.event_time, d.event_id, count(*),
		       min(a.event_time), max(a.event_time),
		       string_agg(DISTINCT a.event_type, ' ' ORDER BY a.event_type),
		       string_agg(a.event_id, ' ' ORDER BY a.event_time, a.event_id)
		FROM d JOIN a ON a.deact_id = d.event_id
		GROUP BY d.event_id, d.event_time, d.target_id, d.target_email
		ORDER BY d.event_time, d.event_id`, p.Start, p.End, typesStatus, typesDeactivation)
}
