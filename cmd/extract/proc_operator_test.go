package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestOperatorCommands drives the operator's commands on the binary after a
// `once`: checkpoint show, reset and history, runs, and a backfill that
// produces exactly its range and does nothing when run again.
func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC()
	s := newStack(t, pigmentsim.Config{Seed: 66, History: 12 * time.Hour, HistoryEvents: 6000, LateFraction: -1})
	env := s.ExtractEnv(nil)
	testkit.MustRun(t, extractBin, env, "once")

	// show: the watermark is the newest ingestion time produced.
	var newest time.Time
	for _, m := range testkit.ReadAll(t, s.Brokers, s.Topic) {
		at, err := time.Parse(time.RFC3339Nano, testkit.Header(m, record.HeaderIngestion))
		if err != nil {
			t.Fatalf("record %d/%d: ingestion header: %v", m.Partition, m.Offset, err)
		}
		newest = maxTime(newest, at)
	}
	if newest.IsZero() {
		t.Fatal("once produced nothing: the test would prove nothing")
	}
	cp := showLive(t, env)
	if !cp.Watermark.Equal(newest) || cp.Run != nil {
		t.Errorf("checkpoint show: watermark %v, run %+v; want watermark %v (the newest event) and no run in progress", cp.Watermark, cp.Run, newest)
	}

	// reset, then history.
	day := start.AddDate(0, 0, -1).Format("2006-01-02")
	resetTo, _ := time.Parse("2006-01-02", day)
	out := testkit.MustRun(t, extractBin, env, "checkpoint", "reset", "--to", day, "--reason", "test", "--operator", "alice")
	if !strings.Contains(out, "alice") {
		t.Errorf("checkpoint reset printed %q, want a confirmation naming the operator", out)
	}
	var hist []checkpoint.HistoryEntry
	mustRunJSON(t, env, &hist, "checkpoint", "history", "--json")
	if len(hist) != 1 || hist[0].Operator != "alice" || hist[0].Reason != "test" || hist[0].Name != "live" ||
		!hist[0].From.Equal(cp.Watermark) || !hist[0].To.Equal(resetTo) {
		t.Errorf("checkpoint history = %+v, want one entry by alice for reason test, from %v to %v", hist, cp.Watermark, resetTo)
	}
	if got := showLive(t, env); !got.Watermark.Equal(resetTo) {
		t.Errorf("checkpoint show after the reset: watermark %v, want %v", got.Watermark, resetTo)
	}

	// runs: a table with a header and the finished once.
	table := testkit.MustRun(t, extractBin, env, "runs")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[0], "PRODUCED") ||
		!strings.Contains(table, "once") || !strings.Contains(table, "live") {
		t.Errorf("extract runs printed:\n%s\nwant a table with a header and the once run", table)
	}

	// backfill [from, to) into a topic of its own.
	from, to := start.Add(-8*time.Hour).Truncate(time.Second), start.Add(-4*time.Hour).Truncate(time.Second)
	want := apiIDs(t, s, from, to)
	benv := env.With(map[string]string{"KAFKA_TOPIC": testkit.Name("backfill")})
	args := []string{"backfill", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--name", "b1"}
	testkit.MustRun(t, extractBin, benv, args...)
	got := eventIDs(t, s.Brokers, benv["KAFKA_TOPIC"])
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates != 0 {
		t.Errorf("backfill produced %d duplicates", d.duplicates)
	}

	testkit.MustRun(t, extractBin, benv, args...)
	if again := eventIDs(t, s.Brokers, benv["KAFKA_TOPIC"]); len(again) != len(got) {
		t.Errorf("a second identical backfill changed the topic from %d to %d records", len(got), len(again))
	}
	var runs []checkpoint.RunRecord
	mustRunJSON(t, benv, &runs, "runs", "--name", "backfill:b1", "--json")
	if len(runs) != 1 || runs[0].Status != checkpoint.StatusOK || runs[0].Produced != int64(len(want)) {
		t.Errorf("runs of backfill:b1 = %+v, want one ok run that produced %d events", runs, len(want))
	}
}

func showLive(t *testing.T, env map[string]string) checkpoint.Checkpoint {
	t.Helper()
	var cps []checkpoint.Checkpoint
	mustRunJSON(t, env, &cps, "checkpoint", "show", "--name", "live", "--json")
	if len(cps) != 1 || cps[0].Name != "live" {
		t.Fatalf("checkpoint show --name live = %+v, want the live checkpoint", cps)
	}
	return cps[0]
}

// apiIDs reads the simulator's API directly and returns the IDs of the
// events ingested in [from, to).
func apiIDs(t *testing.T, s *stack, from, to time.Time) []string {
	t.Helper()
	c, err := pigment.New(pigment.Config{BaseURL: s.APIURL, APIKey: simKey})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	cursor := ""
	for {
		page, err := c.FetchPage(t.Context(), from, cursor)
		if err != nil {
			t.Fatalf("read the simulator: %v", err)
		}
		for _, ev := range page.Events {
			if !ev.Ingested.Before(from) && ev.Ingested.Before(to) {
				ids = append(ids, ev.ID)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return ids
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
