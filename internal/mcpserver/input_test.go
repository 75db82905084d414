package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestBadInput: an unknown tool, malformed arguments, ten years, a limit
// of a million, an unknown alert: each a clear error or a capped answer,
// and the server keeps answering.
func TestBadInput(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	cs := w.stdioClient(t)

	if _, err := cs.CallTool(t.Context(), toolCall("drop_table")); err == nil || !strings.Contains(err.Error(), "unknown tool") {
		t.Errorf("an unknown tool: %v, want an error naming it unknown", err)
	}
	for _, tc := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"top_changes", map[string]any{"limit": "five"}, "limit"},
		{"search_events", map[string]any{"types": "UserLoggedIn"}, "types"},
		{"search_events", map[string]any{"from": "2016-01-01", "to": "2026-01-01"}, "at most 400 days"},
		{"search_events", map[string]any{"from": "yesterday"}, "want a date"},
		{"search_events", map[string]any{"from": "2026-11-30", "to": "2026-11-01"}, "end must come after"},
		{"search_events", map[string]any{"period": "2026-13"}, "want a month"},
		{"search_events", map[string]any{"limit": -1}, "positive"},
		{"activity_summary", map[string]any{"by": "password"}, "want type, member or application"},
		{"inactive_members", map[string]any{"days": 100000}, "1 to 3650"},
		{"get_alert", map[string]any{"alert_id": "nope"}, "no alert"},
	} {
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
		msg := ""
		switch {
		case err != nil:
			msg = err.Error()
		case res.IsError:
			msg = text(res)
		}
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s(%v) = %v, %q; want an error saying %q", tc.tool, tc.args, err, msg, tc.want)
		}
	}
	var got mcpserver.Result
	if res := call(t, cs, "search_events", map[string]any{"period": "2026-11", "limit": 1000000}, &got); res.IsError ||
		len(got.Rows) != mcpserver.DefaultLimits().MaxRows || !got.Truncated || !strings.Contains(got.Cap, "at most 500 rows") {
		t.Errorf("a limit of a million = %d rows, truncated %v, cap %q; want 500, truncated, the cap stated", len(got.Rows), got.Truncated, got.Cap)
	}
	small := mcpserver.New(mcpserver.Config{DB: w.reader, Limits: mcpserver.Limits{MaxRows: 500, MaxBytes: 4096, MaxDays: 31}})
	ct, st := mcp.NewInMemoryTransports()
	ss, err := small.MCP().Connect(t.Context(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	scs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(t.Context(), ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer scs.Close()
	var capped mcpserver.Result
	call(t, scs, "search_events", map[string]any{"period": "2026-11", "limit": 200}, &capped)
	if n := len(capped.Rows); n == 0 || n >= 200 || !capped.Truncated || !strings.Contains(capped.Cap, "4096 bytes") {
		t.Errorf("4096 bytes of rows cap %d rows, truncated %v, cap %q; want fewer than asked, truncated, stated", n, capped.Truncated, capped.Cap)
	}
	var all mcpserver.Result
	call(t, cs, "search_events", map[string]any{"period": "2026-11", "limit": 20}, &all)
	if len(all.Rows) != 20 {
		t.Errorf("after the bad input the server answers %d rows, want 20", len(all.Rows))
	}
}
