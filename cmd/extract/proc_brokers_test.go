package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// tableCount is the number of tables in the public schema of dbURL.
func tableCount(t *testing.T, dbURL string) int {
	t.Helper()
	var n int
	if err := testkit.QueryRow(t, dbURL, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnsetBrokersStopsBeforeTouchingPostgres: with KAFKA_BROKERS unset,
// every extraction command exits 1 at start naming the variable, and the
// database is left as it was (no migration, no checkpoint): an in-memory
// broker nobody asked for would lose every event at exit while the
// checkpoint advanced in the real Postgres.
func TestUnsetBrokersStopsBeforeTouchingPostgres(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 16, History: time.Hour, HistoryEvents: 50})
	// Were the in-memory broker started, it would take a free port, not
	// the demo's.
	env := s.ExtractEnv(map[string]string{"KAFKA_BROKERS": "", "KAFKA_EMBEDDED_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0"})
	now := time.Now().UTC()
	from, to := now.Add(-time.Hour).Format(time.RFC3339), now.Format(time.RFC3339)
	for _, args := range [][]string{{"once"}, {"backfill", "--from", from, "--to", to}, {"run"}} {
		code, _, stderr := testkit.Run(t, extractBin, env, args...)
		if code != 1 || !strings.Contains(stderr, "KAFKA_BROKERS") {
			t.Errorf("extract %v with KAFKA_BROKERS unset exited %d, want 1 with an error naming KAFKA_BROKERS; stderr:\n%s", args, code, stderr)
		}
	}
	if n := tableCount(t, s.DBURL); n != 0 {
		t.Errorf("the database holds %d tables after runs with KAFKA_BROKERS unset, want none", n)
	}
}

// TestEmbeddedBrokerIsExplicit: KAFKA_BROKERS=embedded starts the in-memory
// broker, says so, and extracts into it.
func TestEmbeddedBrokerIsExplicit(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 17, History: time.Hour, HistoryEvents: 50})
	env := s.ExtractEnv(map[string]string{"KAFKA_BROKERS": "embedded", "KAFKA_EMBEDDED_ADDR": "127.0.0.1:0"})
	code, _, stderr := testkit.Run(t, extractBin, env, "once")
	if code != 0 {
		t.Fatalf("extract once with KAFKA_BROKERS=embedded exited %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "IN-MEMORY") {
		t.Errorf("extract once with KAFKA_BROKERS=embedded does not warn of the in-memory broker; stderr:\n%s", stderr)
	}
	if ids := s.topicIDs(t); len(ids) != 0 {
		t.Errorf("KAFKA_BROKERS=embedded produced %d records to the test's broker, want them in the in-memory one", len(ids))
	}
	// A run counts as produced only what Kafka acknowledged: here, the
	// in-memory broker. None would pass the checks above as well.
	var runs []checkpoint.RunRecord
	mustRunJSON(t, env, &runs, "runs", "--json")
	produced := int64(0)
	for _, r := range runs {
		produced += r.Produced
	}
	if len(runs) != 1 || runs[0].Status != checkpoint.StatusOK || produced == 0 {
		t.Errorf("runs after extract once with KAFKA_BROKERS=embedded: %+v, want one ok run that produced events", runs)
	}
}
