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

// TestLearningIgnoresAStrayPastEvent: one record dated decades back (a bad
// eventTimestamp) must not end every rule's learning day: late, it teaches
// nothing, and even first in the stream it is older than any record the
// API can serve relative to its own record time (SetBound).
func TestLearningIgnoresAStrayPastEvent(t *testing.T) {
	rs := mustRules(t, nil, "security-config")
	login := tev(t, 1, "UserLoggedIn@2025-06-10T08:00:00Z m2 outcome=success")
	stray := tev(t, 2, "UserLoggedIn@1971-01-01T00:00:00Z m3 outcome=success")
	key := tev(t, 3, "APIKeyCreated@2025-06-10T12:00:00Z m1")
	for _, tc := range []struct {
		name string
		evs  []event.Event
	}{
		{"stray arriving late", []event.Event{login, stray, key}},
		{"stray arriving first", []event.Event{stray, login, key}},
	} {
		e := mustEngine(t, rs)
		var got []Alert
		for i := range tc.evs {
			e.SetBound(tc.evs[i].Time.Add(time.Minute)) // produced a minute after the event, as extract would
			if tc.evs[i].Time.Year() < 2000 {
				e.SetBound(key.Time) // the stray's record was produced with the others
			}
			got = append(got, e.Process(&tc.evs[i])...)
		}
		got = append(got, e.Advance(key.Time.Add(time.Hour))...)
		if k := keys(got); len(k) != 0 {
			t.Errorf("%s: alerts %q, want none (12:00 is within the learning day begun at 08:00)", tc.name, k)
		}
	}
}
