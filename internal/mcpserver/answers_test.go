package mcpserver_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestMembersWithoutAnIDAreNotMerged: an event that names its actor by
// email only (Pigment's public shape may omit the id) counts for that
// member, as the reports count members (by id, else email): two such
// members are two rows of top_changes and activity_summary, not one row
// crediting the first with the other's changes; and an email-only event of
// a member whose id is known elsewhere counts for that id.
func TestMembersWithoutAnIDAreNotMerged(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	// A month before the simulated history: only these events are in it.
	_, err := w.admin.Exec(t.Context(), `
		INSERT INTO archive_events (event_id, event_type, event_time, ingestion_time, actor_id, actor_email, raw)
		SELECT 'only-email-' || n, 'BlockModified', timestamptz '2026-06-10T10:00:00Z' + n * interval '1 minute',
		       (SELECT max(ingestion_time) FROM archive_events), id, email, '\x7b7d'
		FROM (VALUES (1, NULL, 'ann@example.com'), (2, NULL, 'bob@example.com'), (3, NULL, 'bob@example.com'),
		             (4, 'u-carl', 'carl@example.com'), (5, NULL, 'Carl@example.com')) AS v(n, id, email)`)
	if err != nil {
		t.Fatal(err)
	}
	cs := w.stdioClient(t)
	want := [][]string{{"bob@example.com", "bob@example.com", "2"}, {"carl@example.com", "u-carl", "2"}, {"ann@example.com", "ann@example.com", "1"}}
	for _, tool := range []string{"top_changes", "activity_summary"} {
		var r mcpserver.Result
		if res := call(t, cs, tool, map[string]any{"period": "2026-06", "by": "member"}, &r); res.IsError {
			t.Fatalf("%s: %s", tool, text(res))
		}
		if !slices.EqualFunc(r.Rows, want, slices.Equal) {
			t.Errorf("%s by member = %v, want %v", tool, r.Rows, want)
		}
	}

	// An email is one member whatever its case: Carl's two events, one
	// written Carl@, are found by either spelling.
	for _, member := range []string{"carl@example.com", "CARL@example.com"} {
		var r mcpserver.Result
		if res := call(t, cs, "search_events", map[string]any{"period": "2026-06", "member": member}, &r); res.IsError || len(r.Rows) != 2 {
			t.Errorf("search_events for member %s = %v (%s), want Carl's 2 events", member, r.Rows, text(res))
		}
	}
}

// TestCoverageInUTC: the coverage's latest KPI day is that day's UTC
// midnight whatever the session's TimeZone (a role's or a database's
// default), not the local midnight a cast to timestamptz gives.
func TestCoverageInUTC(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	if _, err := w.admin.Exec(t.Context(), `INSERT INTO kpi_daily (day, kpi, status, source) VALUES ('2026-11-29', 'x', 'n/a', 'test')`); err != nil {
		t.Fatal(err)
	}
	pool := mustReaderPool(t, w.readerURL, map[string]string{"timezone": "America/Los_Angeles"})
	cs := stdioClientOf(t, mcpserver.New(mcpserver.Config{DB: pool, Limits: mcpserver.DefaultLimits(), Logger: zerolog.Nop()}))
	res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URICoverage})
	if err != nil {
		t.Fatal(err)
	}
	var c mcpserver.Coverage
	if err := json.Unmarshal([]byte(res.Contents[0].Text), &c); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC); c.LatestKPIDay == nil || !c.LatestKPIDay.Equal(want) {
		t.Errorf("latest KPI day in a Los Angeles session = %v, want %v", c.LatestKPIDay, want)
	}
}
