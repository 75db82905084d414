package detect

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestLearningCountsFromTheStream: a rule's learning period starts with the
// stream detect reads, not with the rule's own first event. In a workspace
// where API keys are rare, the first one created after two days of other
// activity is new to its member and alerts, whatever the arrival order (a
// first catch-up arrives newest first, decided once everything is in).
func TestLearningCountsFromTheStream(t *testing.T) {
	rs := mustRules(t, nil, "security-config")
	start := time.Date(2025, 6, 10, 8, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i := range 48 {
		at := start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		evs = append(evs, tev(t, i, fmt.Sprintf("UserLoggedIn@%s m2 outcome=success", at)))
	}
	evs = append(evs, tev(t, 100, "APIKeyCreated@2025-06-12T10:00:00Z m1"))
	want := []string{"security-config actor:m1|APIKeyCreated count=1"}

	if got := keys(feed(mustEngine(t, rs), evs, time.Time{})); !slices.Equal(got, want) {
		t.Errorf("oldest first: alerts %q, want %q", got, want)
	}
	e := mustEngine(t, rs)
	var got []Alert
	for i := len(evs) - 1; i >= 0; i-- {
		got = append(got, e.Process(&evs[i])...)
	}
	got = append(got, e.Advance(start.Add(72*time.Hour))...)
	if k := keys(got); !slices.Equal(k, want) {
		t.Errorf("newest first, decided at the end: alerts %q, want %q", k, want)
	}
}
