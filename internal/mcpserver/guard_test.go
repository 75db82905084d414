package mcpserver_test

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestResourcesNeedTheirScope: the archive's coverage is read from the
// archive, so a token without the events scope is refused it, as it is
// refused search_events, and the refusal is logged; the static vocabulary
// stays readable by any token.
func TestResourcesNeedTheirScope(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	ts := w.httpServer(t)
	invOnly, err := w.tokens.Add(t.Context(), "inventory-only", []string{mcpserver.ScopeInventory})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := httpClient(t, ts, invOnly)
	if err != nil {
		t.Fatalf("connect with a token: %v", err)
	}
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

	all, err := w.tokens.Add(t.Context(), "events-too", []string{mcpserver.ScopeEvents})
	if err != nil {
		t.Fatal(err)
	}
	cs, err = httpClient(t, ts, all)
	if err != nil {
		t.Fatalf("connect with a token: %v", err)
	}
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
