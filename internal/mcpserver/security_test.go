package mcpserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestTokensScopesAndTheReader: over HTTP no token, an unknown one and a
// revoked one are refused (401); a token without a tool's scope is refused
// that tool and answered the others; and the role the server reads
// through cannot write, whatever a tool did.
func TestTokensScopesAndTheReader(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	ts := w.httpServer(t)

	resp, err := http.Post(ts.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a request without a token answered %d, want 401", resp.StatusCode)
	}
	for _, token := range []string{"", "pmcp_not-a-token", "Bearer"} {
		if _, err := httpClient(t, ts, token); err == nil {
			t.Errorf("a client with token %q connected, want refused", token)
		}
	}

	eventsOnly, cs := w.tokenClient(t, ts, "events-only", mcpserver.ScopeEvents)
	if res := call(t, cs, "naming_violations", map[string]any{"application": "Revenue"}, nil); !res.IsError ||
		!strings.Contains(text(res), `needs the scope "inventory"`) {
		t.Errorf("naming_violations with a token of scope events = %s (error %v), want refused for the inventory scope", text(res), res.IsError)
	}
	var top mcpserver.Result
	if res := call(t, cs, "top_changes", map[string]any{"period": "2026-11", "limit": 3}, &top); res.IsError || len(top.Rows) != 3 {
		t.Errorf("top_changes with a token of scope events = %s, want answered", text(res))
	}
	if !strings.Contains(w.logs.String(), `"token":"events-only","tool":"naming_violations","arguments":{"application":"Revenue"},"outcome":"refused"`) {
		t.Errorf("the refusal is not logged with the token's name, tool and arguments:\n%s", w.logs.String())
	}

	if err := w.tokens.Revoke(t.Context(), "events-only"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CallTool(t.Context(), toolCall("top_changes")); err == nil {
		t.Errorf("a session whose token was revoked still answers, want refused")
	}
	if _, err := httpClient(t, ts, eventsOnly); err == nil {
		t.Errorf("a revoked token connected, want refused")
	}
	if err := w.tokens.Revoke(t.Context(), "events-only"); err == nil {
		t.Errorf("revoking a revoked token succeeded, want ErrNoToken")
	}

	conn, err := pgx.Connect(t.Context(), w.readerURL)
	if err != nil {
		t.Fatalf("connect as the reader: %v", err)
	}
	defer conn.Close(t.Context())
	for _, sql := range []string{
		`INSERT INTO mcp_tokens (name, sha256, scopes) VALUES ('x', repeat('0', 64), '{events}')`,
		`UPDATE mcp_tokens SET revoked_at = NULL`,
		`DELETE FROM archive_alerts`,
		`INSERT INTO kpi_daily (day, kpi, status, source) VALUES ('2026-11-30', 'x', 'ok', 'x')`,
		`CREATE TABLE mine (x int)`,
	} {
		if _, err := conn.Exec(t.Context(), sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("the reader role ran %q: %v; want permission denied", sql, err)
		}
	}
	var n int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM archive_events`).Scan(&n); err != nil || n == 0 {
		t.Errorf("the reader role reads %d events (%v), want the archive", n, err)
	}
}

// TestResourcesNeedTheirScope: the archive's coverage is read from the
// archive, so a token without the events scope is refused it, as it is
// refused search_events, and the refusal is logged; the static vocabulary
// stays readable by any token.
func TestResourcesNeedTheirScope(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	ts := w.httpServer(t)
	_, cs := w.tokenClient(t, ts, "inventory-only", mcpserver.ScopeInventory)
	res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URICoverage})
	if err == nil {
		t.Errorf("the coverage resource answered a token of scope inventory: %v, want refused for the events scope", res.Contents[0].Text)
	} else if !strings.Contains(err.Error(), `needs the scope "events"`) {
		t.Errorf("coverage refused with %v, want the scope named", err)
	}
	if !strings.Contains(w.logs.String(), `"token":"inventory-only","resource":"`+mcpserver.URICoverage+`","outcome":"refused"`) {
		t.Errorf("the refusal is not logged with the token's name and resource:\n%s", w.logs.String())
	}
	if _, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URIEventTypes}); err != nil {
		t.Errorf("the vocabulary refused a token: %v, want it readable", err)
	}

	_, cs = w.tokenClient(t, ts, "events-too", mcpserver.ScopeEvents)
	if _, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URICoverage}); err != nil {
		t.Errorf("coverage refused a token of scope events: %v", err)
	}
}

// TestCallLogIsBounded: the arguments of a call are logged, but a call
// whose arguments are megabytes (the HTTP transport accepts 4 MiB) makes
// a log line of a few kilobytes that says how long they were, not a copy.
func TestCallLogIsBounded(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	cs := w.stdioClient(t)
	call(t, cs, "search_events", map[string]any{"member": strings.Repeat("m", 1<<20), "period": "2026-11"}, nil)
	for _, line := range strings.Split(w.logs.String(), "\n") {
		if !strings.Contains(line, `"tool":"search_events"`) {
			continue
		}
		if len(line) > 8<<10 {
			t.Errorf("a call with 1 MiB of arguments logged a line of %d bytes, want at most 8 KiB", len(line))
		}
		if !strings.Contains(line, "bytes") {
			t.Errorf("the cut arguments do not say how long they were: %.300s", line)
		}
		return
	}
	t.Errorf("the call is not logged:\n%.2000s", w.logs.String())
}
