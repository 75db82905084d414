package main

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// A topic that gains partitions while detect runs: the new partitions'
// records are read too (the term restarts from the saved state).
func TestNewPartitionsAreRead(t *testing.T) {
	t.Parallel()
	s := newStack(t, plantedConfig())
	name, alerts := testkit.Name("detect-parts"), testkit.Name("alerts-parts")
	p := testkit.Start(t, detectBin, s.detectEnv(name, alerts), "run")
	s.waitQuiet(t, p, name, alerts, 45*time.Second)
	pool := s.pool(t)
	before := s.savedRecords(t, pool, name)

	testkit.AddPartition(t, s.Brokers, s.Topic, 5, kafka.Message{Value: []byte(`{"eventId":"on-a-new-partition","eventType":"ReportViewed",` +
		`"eventTimestamp":"` + simStart.Add(-time.Second).Format(time.RFC3339) + `","ingestionTimestamp":"` +
		simStart.Format(time.RFC3339) + `","actor":{"memberId":"sim-heartbeat"}}`)})
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) && s.savedRecords(t, pool, name) < before+1 {
		time.Sleep(200 * time.Millisecond)
	}
	if got := s.savedRecords(t, pool, name); got != before+1 {
		t.Fatalf("detect saved offsets for %d records, want %d: the new partition was not read; stderr:\n%s", got, before+1, p.Stderr())
	}
	p.Stop()
}
