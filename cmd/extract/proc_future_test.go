package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestFutureEventDoesNotBlindLaterRuns serves one event stamped a day ahead:
// it is produced once and logged, and events ingested afterwards (still
// before its time) are extracted by later runs. The watermark and the
// completeBefore header used to jump a day ahead and skip them.
func TestFutureEventDoesNotBlindLaterRuns(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 1})
	api := testkit.NewFakeAPI(t)
	now := time.Now().UTC()
	api.Add(t, "future", now.Add(24*time.Hour).Format(time.RFC3339Nano), "")
	api.Add(t, "before-1", now.Add(-time.Minute).Format(time.RFC3339Nano), "")
	env := fakeAPIEnv(api, s, map[string]string{"PIGMENT_MAX_CLOCK_SKEW": "1m", "LOG_LEVEL": "warn"})
	_, _, stderr := runOnce(t, env)
	if !strings.Contains(stderr, `"future"`) || !strings.Contains(stderr, "future") {
		t.Errorf("no warning naming the future event in the log:\n%s", stderr)
	}
	for i := range 3 {
		// Ingested after the first run, an hour before the future event.
		api.Add(t, "later-"+string(rune('a'+i)), time.Now().UTC().Format(time.RFC3339Nano), "")
		runOnce(t, env)
	}
	want := api.IDs()
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates > 0 {
		t.Errorf("topic holds %d records for %d events: %d repeated", len(got), len(want), d.duplicates)
	}
	limit := time.Now().Add(2 * time.Minute)
	for _, m := range testkit.ReadAll(t, s.brokers, s.topic) {
		cb, err := time.Parse(time.RFC3339Nano, testkit.Header(m, record.HeaderCompleteBefore))
		if err != nil || cb.After(limit) {
			t.Errorf("record %s: completeBefore %q (%v), want a time before %v", testkit.Header(m, record.HeaderEventID),
				testkit.Header(m, record.HeaderCompleteBefore), err, limit)
		}
	}
	cp := showLive(t, env)
	if cp.Watermark.After(limit) {
		t.Errorf("watermark %v is past now plus the skew", cp.Watermark)
	}
}

func runOnce(t *testing.T, env map[string]string) (int, string, string) {
	t.Helper()
	code, stdout, stderr := runExtract(t, env, "once")
	if code != 0 {
		t.Fatalf("extract once exited %d; stderr:\n%s", code, stderr)
	}
	return code, stdout, stderr
}

// TestFutureEventDoesNotBlindRunsWithoutOverlap: with PIGMENT_OVERLAP=0s
// nothing re-reads what the watermark passed, so it must never pass the
// run's start. One future event used to set it to the start plus
// PIGMENT_MAX_CLOCK_SKEW, and an event ingested a few seconds after the
// start, visible only later, was never requested. A watermark already in
// the future (set before the upgrade, or by `checkpoint reset --force`) is
// queried from now minus the overlap, with a warning, and heals: events
// ingested now are extracted, once.
func TestFutureEventDoesNotBlindRunsWithoutOverlap(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 2})
	api := testkit.NewFakeAPI(t)
	now := time.Now().UTC()
	api.Add(t, "future", now.Add(24*time.Hour).Format(time.RFC3339Nano), "")
	api.Add(t, "before-1", now.Add(-time.Minute).Format(time.RFC3339Nano), "")
	env := fakeAPIEnv(api, s, map[string]string{"PIGMENT_OVERLAP": "0s", "PIGMENT_MAX_CLOCK_SKEW": "1m", "LOG_LEVEL": "warn"})
	runOnce(t, env)
	// Ingested after the run started, visible only once it ended.
	api.Add(t, "on-time", time.Now().UTC().Add(time.Second).Format(time.RFC3339Nano), "")
	time.Sleep(1100 * time.Millisecond)
	runOnce(t, env)
	runOnce(t, env)
	if cp := showLive(t, env); cp.Watermark.After(time.Now()) {
		t.Errorf("watermark %v is past now", cp.Watermark)
	}
	want := api.IDs()
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates > 0 {
		t.Errorf("topic holds %d records for %d events: %d repeated", len(got), len(want), d.duplicates)
	}

	// A reset forgets what was produced: events served again after it are
	// produced again (the README's reset rule), then never more.
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
	mustRunExtract(t, env, "checkpoint", "reset", "--to", tomorrow, "--reason", "clock test", "--force")
	env["PIGMENT_OVERLAP"] = "1m"
	api.Add(t, "after-reset", time.Now().UTC().Format(time.RFC3339Nano), "")
	_, _, stderr := runOnce(t, env)
	if !strings.Contains(stderr, "watermark is in the future") {
		t.Errorf("no warning of the watermark in the future in the log:\n%s", stderr)
	}
	got = s.topicIDs(t)
	if !slices.Contains(got, "after-reset") {
		t.Errorf("an event ingested after a reset into the future was not extracted; topic: %v", got)
	}
	runOnce(t, env)
	if again := s.topicIDs(t); len(again) != len(got) {
		t.Errorf("a second run after the reset produced %d more records, want none", len(again)-len(got))
	}
	if cp := showLive(t, env); cp.Watermark.After(time.Now()) {
		t.Errorf("after runs from a watermark reset into the future: watermark %v is past now", cp.Watermark)
	}
}
