package report

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// apiKey is what an API key event says of its key (metadata or payload).
type apiKey struct{ ID, Name, Type string }

// readAPIKey reads the key of an API key event's raw JSON.
func readAPIKey(raw []byte) apiKey {
	type body struct {
		ID   string `json:"apiKeyId"`
		Name string `json:"apiKeyName"`
		Type string `json:"apiKeyType"`
	}
	var v struct{ Metadata, Payload body }
	if json.Unmarshal(raw, &v) != nil {
		return apiKey{}
	}
	return apiKey{ID: cmp.Or(v.Metadata.ID, v.Payload.ID), Name: cmp.Or(v.Metadata.Name, v.Payload.Name),
		Type: cmp.Or(v.Metadata.Type, v.Payload.Type)}
}

// apiKeysSection lists the API keys created and revoked in p, and the keys
// created before the end of p that no revocation before it names (a
// creation without a key id cannot be matched and stays open).
func apiKeysSection(ctx context.Context, db DB, p Period) (Section, error) {
	rows, err := db.Query(ctx, `
		SELECT event_time, event_type, event_type = ANY($2), `+memberSQL("actor")+`, coalesce(actor_id, ''), event_id, raw
		FROM archive_events WHERE (event_type = ANY($2) OR event_type = ANY($3)) AND event_time < $1
		ORDER BY event_time, event_id`, p.End, typesKeyCreated, typesKeyRevoked)
	if err != nil {
		return Section{}, fmt.Errorf("api keys: %w", err)
	}
	changes := Table{ID: "api_key_changes", Title: "API keys created and revoked",
		Columns: []string{"time", "change", "event type", "by", "by id", "key id", "key name", "key type", "event id"}, Rows: [][]string{}}
	open := Table{ID: "api_keys_open", Title: "API keys created and not revoked at the end of the period",
		Columns: []string{"created", "by", "by id", "key id", "key name", "key type", "event id"}, Rows: [][]string{}}
	revoked := map[string]bool{}
	var created, revokedN int64
	var at time.Time
	var typ, by, byID, id string
	var isCreate bool
	var raw []byte
	_, err = pgx.ForEachRow(rows, []any{&at, &typ, &isCreate, &by, &byID, &id, &raw}, func() error {
		k := readAPIKey(raw)
		change := "revoked"
		if isCreate {
			change = "created"
			open.Rows = append(open.Rows, []string{fmtTime(at), by, byID, k.ID, k.Name, k.Type, id})
		} else if k.ID != "" {
			revoked[k.ID] = true
		}
		if !at.Before(p.Start) {
			changes.Rows = append(changes.Rows, []string{fmtTime(at), change, typ, by, byID, k.ID, k.Name, k.Type, id})
			if isCreate {
				created++
			} else {
				revokedN++
			}
		}
		return nil
	})
	if err != nil {
		return Section{}, fmt.Errorf("api keys: %w", err)
	}
	still := open.Rows[:0]
	for _, r := range open.Rows {
		if r[3] == "" || !revoked[r[3]] {
			still = append(still, r)
		}
	}
	open.Rows = still
	var findings []Finding
	if len(open.Rows) > 0 {
		findings = append(findings, Finding{Severity: Info, Title: "API keys not revoked",
			Detail: plural(int64(len(open.Rows)), "API key created in the archive is", "API keys created in the archive are") +
				" not revoked at the end of the period (table api_keys_open); confirm each is still needed."})
	}
	return Section{
		ID: "api_keys", Title: "API keys",
		Summary: fmt.Sprintf("%s and %s in %s; %s at its end.", plural(created, "API key created", "API keys created"),
			plural(revokedN, "revoked", "revoked"), p.Name, plural(int64(len(open.Rows)), "key not revoked", "keys not revoked")),
		Records: created + revokedN,
		Figures: []Figure{
			{Name: "Created", Value: fmtCount(created)},
			{Name: "Revoked", Value: fmtCount(revokedN)},
			{Name: "Not revoked at the end", Value: fmtCount(int64(len(open.Rows)))},
		},
		Findings: findings,
		Tables:   []Table{changes, open},
	}, nil
}

// dataTransfersSection counts the imports and exports of p by member and
// application.
func dataTransfersSection(ctx context.Context, db DB, p Period) (Section, error) {
	t, err := queryTable(ctx, db, Table{ID: "imports_exports", Title: "Imports and exports by member and application",
		Columns: []string{"member", "member id", "application", "application id", "imports", "exports"}}, `
		SELECT coalesce(max(actor_email), max(actor_name), actor_id, ''), coalesce(actor_id, ''),
		       coalesce(max(application_name), application_id, ''), coalesce(application_id, ''),
		       count(*) FILTER (WHERE event_type = ANY($3)), count(*) FILTER (WHERE event_type = ANY($4))
		FROM archive_events
		WHERE (event_type = ANY($3) OR event_type = ANY($4)) AND event_time >= $1 AND event_time < $2
		GROUP BY actor_id, application_id
		ORDER BY count(*) DESC, actor_id NULLS LAST, application_id NULLS LAST`, p.Start, p.End, typesImport, typesExport)
	if err != nil {
		return Section{}, err
	}
	imports, exports := sumColumn(t, 4), sumColumn(t, 5)
	return Section{
		ID: "data_transfers", Title: "Imports and exports",
		Summary: fmt.Sprintf("%s and %s in %s, by member and application.", plural(imports, "import", "imports"),
			plural(exports, "export", "exports"), p.Name),
		Records: imports + exports,
		Figures: []Figure{{Name: "Imports", Value: fmtCount(imports)}, {Name: "Exports", Value: fmtCount(exports)}},
		Tables:  []Table{t},
	}, nil
}

// supportSection lists the support sessions started in p.
func supportSection(ctx context.Context, db DB, p Period) (Section, error) {
	t, err := queryTable(ctx, db, Table{ID: "support_sessions", Title: "Support sessions",
		Columns: []string{"time", "member", "member id", "source ip", "event id"}}, `
		SELECT event_time, `+memberSQL("actor")+`, coalesce(actor_id, ''), coalesce(source_ip, ''), event_id
		FROM archive_events WHERE event_type = ANY($3) AND event_time >= $1 AND event_time < $2
		ORDER BY event_time, event_id`, p.Start, p.End, typesSupport)
	if err != nil {
		return Section{}, err
	}
	n := int64(len(t.Rows))
	return Section{
		ID: "support", Title: "Support sessions",
		Summary: fmt.Sprintf("%s in %s.", plural(n, "support session", "support sessions"), p.Name),
		Records: n, Figures: []Figure{{Name: "Support sessions", Value: fmtCount(n)}}, Tables: []Table{t},
	}, nil
}
