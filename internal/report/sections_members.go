package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// memberState is a member's latest known account type up to a time, and
// the event that set it.
type memberState struct {
	key, id, email      string
	accountType         string // canonical (accountType); "" when unknown
	rank                int
	at                  time.Time
	eventType, eventID  string
	actorLabel, actorID string
}

// inviteAccountType reads the account type an invitation names (the
// description's metadata.accountType; the public payload has none): "" when
// absent or unreadable.
func inviteAccountType(raw []byte) string {
	var v struct {
		Metadata, Payload struct {
			AccountType string `json:"accountType"`
		}
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return cmp.Or(v.Metadata.AccountType, v.Payload.AccountType)
}

// memberStates returns every member's latest known account type before
// end, and how many events it read to know them, from account-type and role changes (a value naming no account type,
// an application role, is skipped) and invitations (which start a member
// afresh, with the type they name, if any), ordered by member key.
func memberStates(ctx context.Context, db DB, end time.Time) ([]memberState, int64, error) {
	// An event naming only the email (an invitation, before the member
	// has an id) counts for the one id the other events give that email.
	rows, err := db.Query(ctx, `
		WITH e AS (
			SELECT * FROM archive_events
			WHERE (event_type = ANY($2) OR event_type = ANY($3)) AND event_time < $1
			  AND coalesce(target_id, target_email) IS NOT NULL
		), ids AS (
			SELECT lower(target_email) AS email, min(target_id) AS id FROM e
			WHERE target_id IS NOT NULL AND target_email IS NOT NULL
			GROUP BY 1 HAVING count(DISTINCT target_id) = 1
		)
		SELECT coalesce(e.target_id, ids.id, lower(e.target_email)), coalesce(e.target_id, ids.id, ''),
		       coalesce(e.target_email, e.target_name, ''),
		       e.event_time, e.event_type, e.event_id, `+memberSQL("e.actor")+`, coalesce(e.actor_id, ''),
		       coalesce(e.new_account_type, e.new_role, ''), e.event_type = ANY($3),
		       CASE WHEN e.event_type = ANY($3) THEN e.raw END
		FROM e LEFT JOIN ids ON e.target_id IS NULL AND ids.email = lower(e.target_email)
		ORDER BY 1, e.event_time, e.event_id`, end, typesAccountType, typesInvite)
	if err != nil {
		return nil, 0, fmt.Errorf("account types at %s: %w", fmtTime(end), err)
	}
	var states []memberState
	var read int64
	var s memberState
	var value string
	var invite bool
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&s.key, &s.id, &s.email, &s.at, &s.eventType, &s.eventID, &s.actorLabel, &s.actorID,
		&value, &invite, &raw}, func() error {
		read++
		if invite {
			value = inviteAccountType(raw)
		}
		name, rank, ok := accountType(value)
		if !ok && !invite {
			return nil // an application role: the account type is unchanged
		}
		s.accountType, s.rank = name, rank
		if n := len(states); n > 0 && states[n-1].key == s.key {
			states[n-1] = s
		} else {
			states = append(states, s)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("account types at %s: %w", fmtTime(end), err)
	}
	return states, read, nil
}

// privilegedTable lists the privileged members of states, highest account
// type first.
func privilegedTable(states []memberState) (Table, []memberState) {
	var priv []memberState
	for _, s := range states {
		if s.accountType != "" && privileged(s.accountType) {
			priv = append(priv, s)
		}
	}
	slices.SortFunc(priv, func(a, b memberState) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.email, b.email), cmp.Compare(a.key, b.key))
	})
	t := Table{ID: "privileged_members", Title: "Privileged members at the end of the period",
		Columns: []string{"member", "member id", "account type", "since", "set by", "set by id", "event type", "event id"},
		Rows:    [][]string{}}
	for _, s := range priv {
		t.Rows = append(t.Rows, []string{s.email, s.id, s.accountType, fmtTime(s.at), s.actorLabel, s.actorID, s.eventType, s.eventID})
	}
	return t, priv
}

// privilegedSection lists the members whose latest known account type at
// the end of p is Primary Owner, Security Admin or Workspace Admin.
func privilegedSection(ctx context.Context, db DB, p Period) (Section, error) {
	states, read, err := memberStates(ctx, db, p.End)
	if err != nil {
		return Section{}, err
	}
	t, priv := privilegedTable(states)
	n := int64(len(priv))
	return Section{
		ID: "privileged", Title: "Privileged members",
		Summary: fmt.Sprintf("%s Primary Owner, Security Admin or Workspace Admin at %s, by the latest account-type change "+
			"or invitation of each member in the archive. Members whose account type never changed in the archive are "+
			"not known until the workspace inventory is built.", plural(n, "member is", "members are"), fmtTime(p.End)),
		Records: read,
		Figures: []Figure{{Name: "Privileged members known", Value: fmtCount(n)}},
		Findings: []Finding{{Severity: Info, Title: "Privileged members not changed in the archive are not listed",
			Detail: "Only members with an account-type change or an invitation in the archive are known; the workspace inventory will list the others."}},
		Tables: []Table{t},
	}, nil
}
