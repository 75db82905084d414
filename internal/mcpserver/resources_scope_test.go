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
