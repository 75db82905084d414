package main

// Tests against pages written by hand (testkit.FakeAPI): each event's bytes,
// timestamps and cursors are the test's choice.

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// newFutureStack is a pages stack serving an event stamped a day ahead and
// one a minute old.
func newFutureStack(t *testing.T) (*stack, *testkit.FakeAPI) {
	t.Helper()
	s, api := newPagesStack(t)
	now := time.Now().UTC()
	api.Add(t, "future", now.Add(24*time.Hour).Format(time.RFC3339Nano), "")
	api.Add(t, "before-1", now.Add(-time.Minute).Format(time.RFC3339Nano), "")
	return s, api
}

// checkExactlyOnce fails the test unless the topic holds every event the
// API served, nothing else, and none twice.
func (s *stack) checkExactlyOnce(t *testing.T, api *testkit.FakeAPI) {
	t.Helper()
	want := api.IDs()
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates > 0 {
		t.Errorf("topic holds %d records for %d events: %d repeated", len(got), len(want), d.duplicates)
	}
}

// TestHostilePageIsExtracted serves a page with a raw control character
// inside one event (invalid JSON strictly, emitted by real producers) and
// one element that cannot be read at all: `extract once` must produce every
// readable event, the first with its bytes exactly as sent, and dead-letter
// the unreadable element with its position and reason. The whole page used
// to fail on every poll.
func TestHostilePageIsExtracted(t *testing.T) {
	t.Parallel()
	s, api := newPagesStack(t)
	api.PageSize = 10
	at := time.Now().UTC().Add(-time.Hour)
	stamp := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339Nano) }
	api.Add(t, "good-1", stamp(1*time.Second), "")
	control := "{\"eventId\":\"ctl-1\",\"ingestionTimestamp\":\"" + stamp(2*time.Second) + "\",\"metadata\":{\"note\":\"line 1\nline 2\ttab\x01\"}}"
	api.AddRaw("ctl-1", at.Add(2*time.Second), control)
	broken := `{"eventId":"broken-1","ingestionTimestamp":"` + stamp(3*time.Second) + `","x":"\q"}`
	api.AddRaw("broken-1", at.Add(3*time.Second), broken)
	api.Add(t, "good-2", stamp(4*time.Second), "")
	env := s.ExtractEnv(nil)
	for range 2 {
		testkit.MustRun(t, extractBin, env, "once")
	}

	want := []string{"good-1", "ctl-1", "good-2"}
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates > 0 {
		t.Errorf("topic holds %d records for %d events", len(got), len(want))
	}
	for _, m := range testkit.ReadAll(t, s.Brokers, s.Topic) {
		if testkit.Header(m, record.HeaderEventID) == "ctl-1" && !bytes.Equal(m.Value, []byte(control)) {
			t.Errorf("ctl-1 value = %q, want the bytes as sent %q", m.Value, control)
		}
	}
	dlq := testkit.ReadAll(t, s.Brokers, s.Topic+"-dlq")
	if len(dlq) != 1 {
		t.Fatalf("DLQ holds %d records, want 1 (the unreadable element)", len(dlq))
	}
	reason := testkit.Header(dlq[0], record.HeaderDLQReason)
	if string(dlq[0].Value) != broken || !strings.Contains(reason, "element 2") || !strings.Contains(reason, "invalid escape") {
		t.Errorf("DLQ record = %q, reason %q; want the element's bytes and a reason naming element 2 and the invalid escape", dlq[0].Value, reason)
	}
}

// TestFutureEventDoesNotBlindLaterRuns serves one event stamped a day ahead:
// it is produced once and logged, and events ingested afterwards (still
// before its time) are extracted by later runs. The watermark and the
// completeBefore header used to jump a day ahead and skip them.
func TestFutureEventDoesNotBlindLaterRuns(t *testing.T) {
	t.Parallel()
	s, api := newFutureStack(t)
	env := s.ExtractEnv(map[string]string{"PIGMENT_MAX_CLOCK_SKEW": "1m", "LOG_LEVEL": "warn"})
	_, _, stderr := runOnce(t, env)
	if !strings.Contains(stderr, `"future"`) || !strings.Contains(stderr, "future") {
		t.Errorf("no warning naming the future event in the log:\n%s", stderr)
	}
	for i := range 3 {
		// Ingested after the first run, an hour before the future event.
		api.Add(t, "later-"+string(rune('a'+i)), time.Now().UTC().Format(time.RFC3339Nano), "")
		runOnce(t, env)
	}
	s.checkExactlyOnce(t, api)
	limit := time.Now().Add(2 * time.Minute)
	for _, m := range testkit.ReadAll(t, s.Brokers, s.Topic) {
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
	code, stdout, stderr := testkit.Run(t, extractBin, env, "once")
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
	s, api := newFutureStack(t)
	env := s.ExtractEnv(map[string]string{"PIGMENT_OVERLAP": "0s", "PIGMENT_MAX_CLOCK_SKEW": "1m", "LOG_LEVEL": "warn"})
	runOnce(t, env)
	// Ingested after the run started, visible only once it ended.
	api.Add(t, "on-time", time.Now().UTC().Add(time.Second).Format(time.RFC3339Nano), "")
	time.Sleep(1100 * time.Millisecond)
	runOnce(t, env)
	runOnce(t, env)
	if cp := showLive(t, env); cp.Watermark.After(time.Now()) {
		t.Errorf("watermark %v is past now", cp.Watermark)
	}
	s.checkExactlyOnce(t, api)

	// A reset forgets what was produced: events served again after it are
	// produced again (the README's reset rule), then never more.
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
	testkit.MustRun(t, extractBin, env, "checkpoint", "reset", "--to", tomorrow, "--reason", "clock test", "--force")
	env["PIGMENT_OVERLAP"] = "1m"
	api.Add(t, "after-reset", time.Now().UTC().Format(time.RFC3339Nano), "")
	_, _, stderr := runOnce(t, env)
	if !strings.Contains(stderr, "watermark is in the future") {
		t.Errorf("no warning of the watermark in the future in the log:\n%s", stderr)
	}
	got := s.topicIDs(t)
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
			s, api := newPagesStack(t)
			base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
			stamp := func(d time.Duration, layout string) string { return base.Add(d).Format(layout) }
			api.Add(t, "ms", stamp(1*time.Second+123*time.Millisecond, "2006-01-02T15:04:05.000Z07:00"), "")
			api.Add(t, "us", stamp(2*time.Second+123456*time.Microsecond, "2006-01-02T15:04:05.000000Z07:00"), "")
			api.Add(t, "net", stamp(3*time.Second+1234567*100, "2006-01-02T15:04:05.0000000Z07:00"), "")
			api.Add(t, "ns-old", stamp(4*time.Second+178071649, "2006-01-02T15:04:05.000000000Z07:00"), "")
			api.Add(t, "ns-newest", stamp(5*time.Second+178071649, "2006-01-02T15:04:05.000000000Z07:00"), "")
			env := s.ExtractEnv(map[string]string{"PIGMENT_OVERLAP": overlap, "PIGMENT_POLL_INTERVAL": "50ms", "METRICS_ADDR": "127.0.0.1:0"})
			for i := 0; i < 5; i++ {
				testkit.MustRun(t, extractBin, env, "once")
			}
			// Then extract run, until it has polled five more times.
			p := testkit.Start(t, extractBin, env, "run")
			if !testkit.Eventually(time.Minute, func() bool { return countRuns(t, env) >= 10 }) {
				t.Fatalf("extract run did not finish five runs within a minute; stderr:\n%s", p.Stderr())
			}
			p.Stop()
			s.checkExactlyOnce(t, api)
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
