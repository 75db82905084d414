package mcpserver_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestAskTheAuditTrail: a client of the same SDK, over stdio's in-memory
// transport and over streamable HTTP with a token, lists the tools (each
// read-only, not destructive, closed world) and gets the description's four
// example questions answered on the simulators' history, each answer equal
// to SQL written here, apart from the server's.
func TestAskTheAuditTrail(t *testing.T) {
	w := mustWorld(t)
	token, err := w.tokens.Add(t.Context(), "analyst", mcpserver.Scopes)
	if err != nil {
		t.Fatal(err)
	}
	ts := w.httpServer(t)
	overHTTP, err := httpClient(t, ts, token)
	if err != nil {
		t.Fatalf("connect over HTTP with a token: %v", err)
	}
	for name, cs := range map[string]*mcp.ClientSession{"stdio": w.stdioClient(t), "http": overHTTP} {
		t.Run(name, func(t *testing.T) {
			checkTools(t, cs)
			checkTopApplications(t, w, cs)
			checkInactive(t, w, cs)
			checkDimensions(t, w, cs)
			checkNaming(t, w, cs)
		})
	}
	if logs := w.logs.String(); !strings.Contains(logs, `"token":"analyst","tool":"naming_violations","arguments":{"application":"Revenue"}`) ||
		!strings.Contains(logs, `"token":"stdio"`) || strings.Contains(logs, token) {
		t.Errorf("the calls' log lacks the token's name, tool and arguments, or holds the token:\n%.2000s", logs)
	}
}

// checkTools lists the tools: all of them, each annotated read-only.
func checkTools(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	res, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		a := tool.Annotations
		if a == nil || !a.ReadOnlyHint || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || *a.OpenWorldHint ||
			tool.OutputSchema == nil || tool.Description == "" {
			t.Errorf("tool %s: annotations %+v, output schema %v, description %q; want read-only, not destructive, closed world, typed, described",
				tool.Name, a, tool.OutputSchema != nil, tool.Description)
		}
	}
	slices.Sort(names)
	want := []string{"account_changes", "activity_summary", "api_key_lifecycle", "blocks_by_dimensions", "get_alert", "inactive_members",
		"kpis", "latest_report", "list_alerts", "naming_violations", "privileged_members", "search_events", "top_changes"}
	if !slices.Equal(names, want) {
		t.Errorf("tools = %v, want %v", names, want)
	}
}

// column returns column col of r's rows, joined with the next column when
// with is set ("id=count").
func column(r mcpserver.Result, cols ...int) []string {
	out := []string{}
	for _, row := range r.Rows {
		var parts []string
		for _, c := range cols {
			parts = append(parts, row[c])
		}
		out = append(out, strings.Join(parts, "="))
	}
	return out
}

// sqlColumn runs sql on the archive as its owner: one text column.
func sqlColumn(t *testing.T, w *world, sql string, args ...any) []string {
	t.Helper()
	rows, err := w.admin.Query(t.Context(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("the test's own query found nothing: %s", sql)
	}
	return out
}

// "What are the top 5 applications by number of changes this month?"
func checkTopApplications(t *testing.T, w *world, cs *mcp.ClientSession) {
	var got mcpserver.Result
	call(t, cs, "top_changes", map[string]any{"period": "2026-11", "limit": 5}, &got)
	want := sqlColumn(t, w, `
		SELECT coalesce(application_id, '') || '=' || count(*) FROM archive_events
		WHERE event_time >= '2026-11-01T00:00:00Z' AND event_time < '2026-12-01T00:00:00Z'
		  AND event_type IN ('BlockCreated', 'BlockModified', 'BlockDeleted', 'ApplicationCreated', 'ApplicationDeleted')
		GROUP BY application_id ORDER BY count(*) DESC, application_id NULLS LAST LIMIT 5`)
	if g := column(got, 1, 4); !slices.Equal(g, want) || len(want) != 5 || !got.Truncated {
		t.Errorf("top 5 applications by changes in 2026-11 = %v (truncated %v), want %v (and more exist)", g, got.Truncated, want)
	}
}

// "Show me all users who haven't logged in for 60 days", as of inactiveAsOf:
// every member of the simulators logs in within any 60 days of their
// history, which ends at simNow; 50 days later, some have not for 60.
func checkInactive(t *testing.T, w *world, cs *mcp.ClientSession) {
	var got mcpserver.Result
	call(t, cs, "inactive_members", map[string]any{"days": 60, "as_of": inactiveAsOf.Format(time.RFC3339), "limit": 500}, &got)
	want := sqlColumn(t, w, `
		WITH seen AS (
			SELECT coalesce(actor_id, actor_email) AS who, min(event_time) AS first,
			       max(event_time) FILTER (WHERE event_type = 'UserLoggedIn' AND coalesce(outcome, '') <> 'failure') AS last_login
			FROM archive_events WHERE event_time < $1 GROUP BY 1
		), status AS (
			SELECT DISTINCT ON (coalesce(target_id, target_email)) coalesce(target_id, target_email) AS who, event_type
			FROM archive_events
			WHERE event_type IN ('MemberDeactivated', 'UserDeactivated', 'MemberReactivated', 'UserReactivated') AND event_time < $1
			ORDER BY coalesce(target_id, target_email), event_time DESC, event_id DESC
		)
		SELECT who FROM seen
		WHERE who IS NOT NULL AND coalesce(last_login, first) <= $1 - interval '60 days'
		  AND who NOT IN (SELECT who FROM status WHERE who IS NOT NULL AND event_type IN ('MemberDeactivated', 'UserDeactivated'))
		ORDER BY who`, inactiveAsOf)
	all := sqlColumn(t, w, `SELECT DISTINCT coalesce(actor_id, actor_email) FROM archive_events WHERE coalesce(actor_id, actor_email) IS NOT NULL`)
	g := column(got, 1)
	slices.Sort(g)
	t.Logf("%d of %d members without a login for 60 days at %s", len(g), len(all), inactiveAsOf)
	if !slices.Equal(g, want) || got.Truncated || len(g) >= len(all) {
		t.Errorf("members without a login for 60 days at %s = %v (truncated %v), want %v, fewer than all %d", inactiveAsOf, g, got.Truncated, want, len(all))
	}
}

var inactiveAsOf = simNow.AddDate(0, 0, 50)

// "Which metrics have the most dimensions?"
func checkDimensions(t *testing.T, w *world, cs *mcp.ClientSession) {
	var got mcpserver.Result
	call(t, cs, "blocks_by_dimensions", map[string]any{"limit": 3}, &got)
	want := sqlColumn(t, w, `
		SELECT id || '=' || cardinality(dimensions) FROM inventory_blocks
		WHERE snapshot_id = (SELECT max(id) FROM inventory_snapshots) AND type = 'Metric' AND dimensions IS NOT NULL
		ORDER BY cardinality(dimensions) DESC, application_id, id LIMIT 3`)
	if g := column(got, 3, 5); !slices.Equal(g, want) || g[0] != "b-plan=10" {
		t.Errorf("the metrics with most dimensions = %v, want %v, b-plan's 10 first", g, want)
	}
}

// "Are there any naming convention violations in the Revenue app?"
func checkNaming(t *testing.T, w *world, cs *mcp.ClientSession) {
	var got mcpserver.Result
	call(t, cs, "naming_violations", map[string]any{"application": "Revenue"}, &got)
	want := sqlColumn(t, w, `
		SELECT split_part(key, '/', 2) FROM inventory_snapshot_findings
		WHERE snapshot_id = (SELECT max(id) FROM inventory_snapshots) AND rule = 'naming-violation'
		  AND key LIKE 'block:' || (SELECT id FROM inventory_applications WHERE name = 'Revenue Planning' LIMIT 1) || '/%'
		ORDER BY 1`)
	if g := column(got, 3); !slices.Equal(g, want) || !slices.Contains(g, "b-bad") || !strings.Contains(got.Scope, "snapshot") {
		t.Errorf("naming violations in Revenue = %v (scope %q), want %v with b-bad, from a snapshot", g, got.Scope, want)
	}
}

// TestTheOtherTools: every other tool answers on the archive, within its
// cap; get_alert brings its evidence.
func TestTheOtherTools(t *testing.T) {
	w := mustWorld(t)
	cs := w.stdioClient(t)
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"search_events", map[string]any{"period": "2026-11", "types": []string{"UserLoggedIn"}, "limit": 10}},
		{"activity_summary", map[string]any{"period": "2026-W48", "by": "type"}},
		{"activity_summary", map[string]any{"from": "2026-11-01", "to": "2026-11-30", "by": "member", "limit": 3}},
		{"top_changes", map[string]any{"period": "2026-11", "by": "member", "limit": 3}},
		{"privileged_members", map[string]any{"as_of": "2026-11-30"}},
		{"account_changes", map[string]any{"period": "2026-11"}},
		{"api_key_lifecycle", map[string]any{"from": "2026-09-01", "to": "2026-12-01"}},
		{"list_alerts", map[string]any{"from": "2026-08-01", "to": "2026-12-01"}},
		{"kpis", map[string]any{"period": "2026-11"}},
	} {
		var got mcpserver.Result
		res := call(t, cs, tc.tool, tc.args, &got)
		if res.IsError || got.Cap == "" || len(got.Columns) == 0 || got.Rows == nil {
			t.Errorf("%s(%v) = %s; want a capped table", tc.tool, tc.args, text(res))
		}
		if tc.tool != "kpis" && len(got.Rows) == 0 {
			t.Errorf("%s(%v) found nothing in the simulators' history", tc.tool, tc.args)
		}
	}
	var first, byMember mcpserver.Result
	call(t, cs, "search_events", map[string]any{"period": "2026-11", "types": []string{"BlockModified", "BlockCreated"}, "limit": 1}, &first)
	actorID, appID := first.Rows[0][3], first.Rows[0][7]
	call(t, cs, "search_events", map[string]any{"period": "2026-11", "member": actorID, "application": appID, "limit": 500}, &byMember)
	for _, r := range byMember.Rows {
		if (r[3] != actorID && r[5] != actorID) || r[7] != appID {
			t.Errorf("search_events of member %s in application %s returned %v", actorID, appID, r)
		}
	}
	if len(byMember.Rows) == 0 || byMember.Rows[0][0] < byMember.Rows[len(byMember.Rows)-1][0] {
		t.Errorf("search_events of member %s in %s = %d rows, want some, newest first", actorID, appID, len(byMember.Rows))
	}
	var alert mcpserver.Alert
	if res := call(t, cs, "get_alert", map[string]any{"alert_id": w.alertIDs[0]}, &alert); res.IsError ||
		alert.AlertID != w.alertIDs[0] || len(alert.Evidence.Rows) == 0 || len(alert.Evidence.Rows) != min(len(alert.EvidenceIDs), 50) {
		t.Errorf("get_alert(%s) = %+v %s; want the alert with its evidence events", w.alertIDs[0], alert, text(res))
	}
	var sum mcpserver.ReportSummary
	if res := call(t, cs, "latest_report", map[string]any{}, &sum); res.IsError || sum.Attestations == nil {
		t.Errorf("latest_report = %+v %s; want the attestations (none yet)", sum, text(res))
	}
	for _, uri := range []string{mcpserver.URIEventTypes, mcpserver.URIKPIs, mcpserver.URICoverage} {
		res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: uri})
		if err != nil || len(res.Contents) != 1 || !strings.HasPrefix(res.Contents[0].Text, "{") {
			t.Errorf("resource %s = %v, %v; want JSON", uri, res, err)
		}
	}
	res, _ := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URICoverage})
	if want := simNow.Format("2006-01"); !strings.Contains(res.Contents[0].Text, `"latestEvent": "`+want) {
		t.Errorf("coverage = %s, want the latest event in %s", res.Contents[0].Text, want)
	}
}
