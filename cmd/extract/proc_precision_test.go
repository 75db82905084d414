package main

import (
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestOnceRepeatedProducesSubMicrosecondEventsOnce runs `extract once` again
// and again, then `extract run` for five more polls, against ingestion times with 3, 6, 7 and 9 fraction digits, the
// newest with nine: Postgres keeps microseconds, and comparing the stored
// watermark with the original time used to re-produce the newest event on
// every invocation.
func TestOnceRepeatedProducesSubMicrosecondEventsOnce(t *testing.T) {
	t.Parallel()
	for _, overlap := range []string{"10m", "0s"} {
		t.Run("overlap="+overlap, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, pigmentsim.Config{Seed: 1})
			api := testkit.NewFakeAPI(t)
			base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			stamp := func(d time.Duration, layout string) string { return base.Add(d).Format(layout) }
			api.Add(t, "ms", stamp(1*time.Second+123*time.Millisecond, "2006-01-02T15:04:05.000Z07:00"), "")
			api.Add(t, "us", stamp(2*time.Second+123456*time.Microsecond, "2006-01-02T15:04:05.000000Z07:00"), "")
			api.Add(t, "net", stamp(3*time.Second+1234567*100, "2006-01-02T15:04:05.0000000Z07:00"), "")
			api.Add(t, "ns-old", stamp(4*time.Second+178071649, "2006-01-02T15:04:05.000000000Z07:00"), "")
			api.Add(t, "ns-newest", stamp(5*time.Second+178071649, "2006-01-02T15:04:05.000000000Z07:00"), "")
			env := fakeAPIEnv(api, s, map[string]string{"PIGMENT_OVERLAP": overlap, "PIGMENT_POLL_INTERVAL": "50ms", "METRICS_ADDR": "127.0.0.1:0"})
			for i := 0; i < 5; i++ {
				mustRunExtract(t, env, "once")
			}
			// Then extract run, until it has polled five more times.
			p := startExtract(t, env, "run")
			if !eventually(t.Context(), time.Minute, func() bool { return countRuns(t, env) >= 10 }) {
				t.Fatalf("extract run did not finish five runs within a minute; stderr:\n%s", p.Stderr())
			}
			p.Stop()
			want := api.IDs()
			got := s.topicIDs(t)
			d := diffIDs(got, want)
			d.check(t, want)
			if d.duplicates > 0 {
				t.Errorf("five `extract once` produced %d records for %d events: %d repeated", len(got), len(want), d.duplicates)
			}
		})
	}
}

// countRuns is the number of finished runs recorded.
func countRuns(t *testing.T, env map[string]string) int {
	t.Helper()
	var runs []struct{ Status string }
	mustRunJSON(t, env, &runs, "runs", "--limit", "1000", "--json")
	n := 0
	for _, r := range runs {
		if r.Status == "ok" {
			n++
		}
	}
	return n
}
