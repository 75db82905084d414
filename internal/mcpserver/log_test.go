package mcpserver_test

import (
	"strings"
	"testing"
)

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
