package report

import (
	"context"
	"fmt"
)

// The categories of security events, in the order figures show them.
var securityCategories = []string{"account type or role", "access rights", "API key created", "API key revoked", "support session"}

// Columns of a changes table (changesTable).
const (
	colChangeCategory = 2
	colChangeActor    = 3
	colChangeActorID  = 4
	colChangeMember   = 5
	colChangeMemberID = 6
	colChangeBefore   = 8
	colChangeAfter    = 9
)

// changesTable lists the events of types in p, each with its category, who
// did it, the member it changed, the application, and the account type or
// role before and after.
func changesTable(ctx context.Context, db DB, p Period, t Table, types []string) (Table, error) {
	t.Columns = []string{"time", "event type", "category", "by", "by id", "member", "member id",
		"application", "before", "after", "event id"}
	return queryTable(ctx, db, t, `
		SELECT event_time, event_type,
		       CASE WHEN event_type = ANY($4) THEN 'account type or role'
		            WHEN event_type = ANY($5) THEN 'access rights'
		            WHEN event_type = ANY($6) THEN 'API key created'
		            WHEN event_type = ANY($7) THEN 'API key revoked'
		            ELSE 'support session' END,
		       `+memberSQL("actor")+`, coalesce(actor_id, ''), `+memberSQL("target")+`, coalesce(target_id, ''),
		       coalesce(application_name, application_id, ''),
		       coalesce(previous_account_type, previous_role, ''), coalesce(new_account_type, new_role, ''), event_id
		FROM archive_events
		WHERE event_type = ANY($3) AND event_time >= $1 AND event_time < $2
		ORDER BY event_time, event_id`,
		p.Start, p.End, types, typesAccountType, typesAccessRights, typesKeyCreated, typesKeyRevoked)
}

// grantFinding judges one account-type or role change: a move up to a
// privileged account type (Primary Owner, Security Admin, Workspace Admin)
// is a warning, and a critical one when the member raised themselves.
func grantFinding(row []string) (Finding, bool) {
	after, ra, ok := accountType(row[colChangeAfter])
	if !ok || !privileged(after) {
		return Finding{}, false
	}
	if _, rb, ok := accountType(row[colChangeBefore]); ok && rb <= ra {
		return Finding{}, false
	}
	f := Finding{Severity: Warning, Title: "Privileged account type granted: " + after,
		Detail: fmt.Sprintf("%s (%s) changed %s (%s) from %q to %q at %s.", row[colChangeActor], row[colChangeActorID],
			row[colChangeMember], row[colChangeMemberID], row[colChangeBefore], row[colChangeAfter], row[0])}
	if row[colChangeActorID] != "" && row[colChangeActorID] == row[colChangeMemberID] {
		f.Severity, f.Title = Critical, "Member raised their own account type to "+after
	}
	return f, true
}

// grantFindings are the findings of the account-type changes in t.
func grantFindings(t Table) []Finding {
	var out []Finding
	for _, r := range t.Rows {
		if r[colChangeCategory] != securityCategories[0] {
			continue
		}
		if f, ok := grantFinding(r); ok {
			out = append(out, f)
		}
	}
	return out
}

// securitySection is the weekly check's security events: account-type and
// role changes, access rights, API keys and support sessions.
func securitySection(ctx context.Context, db DB, p Period) (Section, error) {
	t, err := changesTable(ctx, db, p, Table{ID: "security_events", Title: "Security events"}, typesSecurity)
	if err != nil {
		return Section{}, err
	}
	counts := make([]int64, len(securityCategories))
	for _, r := range t.Rows {
		for i, c := range securityCategories {
			if r[colChangeCategory] == c {
				counts[i]++
			}
		}
	}
	figs := make([]Figure, len(securityCategories))
	for i, c := range securityCategories {
		figs[i] = Figure{Name: c, Value: fmtCount(counts[i])}
	}
	n := int64(len(t.Rows))
	findings := grantFindings(t)
	if n > 0 {
		findings = append([]Finding{{Severity: Info, Title: "Security changes",
			Detail: plural(n, "security event", "security events") + " to review (table security_events)."}}, findings...)
	}
	return Section{
		ID: "security", Title: "Security events",
		Summary: fmt.Sprintf("%s in %s: account-type and role changes, access rights, API keys and support sessions.",
			plural(n, "security event", "security events"), p.Name),
		Records: n, Figures: figs, Findings: findings, Tables: []Table{t},
	}, nil
}
