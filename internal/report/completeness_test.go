package report

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The runs a report lists: those that read events or failed in the
// period, and the first successful one past its end plus the overlap;
// not the empty polls, not the runs of other checkpoints or after.
func TestCoverageRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := mustArchive(t, "") // every migration, extract_runs too
	p, _ := ParseWeek("2026-W48") // 2026-11-23 to 2026-11-30
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, r := range []struct {
		name, since, started, status string
		produced                     int
	}{
		{"live", "2026-11-20T00:00:00Z", "2026-11-22T00:00:00Z", "ok", 5},     // 1: before the period
		{"live", "2026-11-21T23:50:00Z", "2026-11-24T00:00:00Z", "ok", 7},     // 2: listed
		{"live", "2026-11-23T23:50:00Z", "2026-11-24T00:00:30Z", "ok", 0},     // 3: an empty poll
		{"live", "2026-11-23T23:50:00Z", "2026-11-25T00:00:00Z", "failed", 0}, // 4: listed
		{"other", "2026-11-23T00:00:00Z", "2026-11-25T00:00:00Z", "ok", 9},    // 5: another checkpoint
		{"live", "2026-11-29T23:50:00Z", "2026-11-30T00:05:00Z", "ok", 3},     // 6: listed (since before the end)
		{"live", "2026-11-29T23:55:00Z", "2026-11-30T00:11:00Z", "ok", 0},     // 7: closes the period
		{"live", "2026-11-30T00:01:00Z", "2026-11-30T00:20:00Z", "ok", 4},     // 8: after the closing run
	} {
		_, err := pool.Exec(ctx, `INSERT INTO extract_runs (name, mode, since, started_at, ended_at, status, produced)
			VALUES ($1, 'run', $2, $3, $3, $4, $5)`, r.name, at(r.since), at(r.started), r.status, r.produced)
		if err != nil {
			t.Fatal(err)
		}
	}
	c := &Completeness{Checkpoints: pool, Checkpoint: "live", Overlap: 10 * time.Minute}
	runs, err := c.runs(ctx, p, p.End.Add(c.Overlap))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID+":"+r.Status)
	}
	if got, want := strings.Join(ids, " "), "2:ok 4:failed 6:ok 7:ok"; got != want {
		t.Errorf("runs = %s, want %s", got, want)
	}
}

// What report.json states of the coverage depends only on the run history
// up to the run that closed the period: extract runs later (new events, a
// higher watermark, newer polls) and a grown topic change nothing in it.
func TestCoverageStableAfterTheClosingRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := mustArchive(t, "")
	_, brokers := testkit.MustKafka(t)
	p, _ := ParseWeek("2026-W48") // 2026-11-23 to 2026-11-30
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	run := func(since, started, high string) {
		t.Helper()
		var h *time.Time
		if high != "" {
			v := at(high)
			h = &v
		}
		if _, err := pool.Exec(ctx, `INSERT INTO extract_runs (name, mode, since, started_at, ended_at, status, produced, high)
			VALUES ('live', 'run', $1, $2, $2, 'ok', 1, $3)`, at(since), at(started), h); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO checkpoints (name, watermark) VALUES ('live', $1)
			ON CONFLICT (name) DO UPDATE SET watermark = GREATEST(checkpoints.watermark, $1)`, h); err != nil {
			t.Fatal(err)
		}
	}
	topic := testkit.Name("events")
	c := &Completeness{Checkpoints: pool, Checkpoint: "live", Overlap: 10 * time.Minute,
		Kafka:   &kafka.Client{Addr: kafka.TCP(brokers), Timeout: 10 * time.Second, Transport: testkit.Transport(t)},
		Sources: []Source{{Topic: topic, Group: testkit.Name("archive")}}}
	coverage := func() []byte {
		t.Helper()
		cov, _, err := c.Check(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cov)
		return b
	}
	run("2026-11-20T00:00:00Z", "2026-11-25T00:00:00Z", "2026-12-05T00:00:00Z") // read an event stamped in the future
	run("2026-11-24T23:50:00Z", "2026-11-30T00:15:00Z", "2026-11-30T00:14:00Z") // closes the period
	produce(t, brokers, topic, [][]byte{[]byte(`{"eventId":"a"}`)})
	before := coverage()
	var cov Coverage
	_ = json.Unmarshal(before, &cov)
	if cov.CompleteBefore == nil || !cov.CompleteBefore.Equal(at("2026-11-30T00:15:00Z")) ||
		cov.Watermark == nil || !cov.Watermark.Equal(at("2026-11-30T00:14:00Z")) {
		t.Errorf("coverage = %s; want completeBefore the closing run's start, watermark its high-water mark", before)
	}
	run("2026-11-30T00:04:00Z", "2026-12-01T08:00:00Z", "2026-12-01T07:59:00Z") // the pipeline keeps running
	if _, err := pool.Exec(ctx, `INSERT INTO checkpoint_history (name, operator, reason, from_watermark, to_watermark)
		VALUES ('live', 'test', 'a reset after the period closed', $1, $2)`, at("2026-12-01T07:59:00Z"), at("2026-12-01T09:00:00Z")); err != nil {
		t.Fatal(err)
	}
	produce(t, brokers, topic, [][]byte{[]byte(`{"eventId":"b"}`)})
	if after := coverage(); !bytes.Equal(before, after) {
		t.Errorf("the coverage changed with runs after the closing one:\n%s\n%s", before, after)
	}
}

// The coverage counts the dead letters of the period's UTC days, as the
// exceptions section does, whatever the session's time zone.
func TestCoverageDeadLettersInAnyTimeZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sink, db := mustArchive(t, "America/New_York")
	p, _ := ParseMonth("2026-11")
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 12, 0, 0, 0, time.UTC) }
	if err := sink.CountDeadLetters(ctx, []sinks.DeadLetter{
		{Topic: "dlq", Offset: 1, Time: day(10, 31), Stage: "extract", Reason: "before"},
		{Topic: "dlq", Offset: 2, Time: day(10, 31), Stage: "extract", Reason: "before"},
		{Topic: "dlq", Offset: 3, Time: day(11, 30), Stage: "extract", Reason: "last day"},
	}); err != nil {
		t.Fatal(err)
	}
	d, err := Generate(ctx, db, Request{Kind: Monthly, Period: p, GeneratedAt: day(12, 1)})
	if err != nil {
		t.Fatal(err)
	}
	scope := section(t, d.Sections, "scope").Figures[3]
	if got := section(t, d.Sections, "exceptions").Records; d.Coverage.DeadLetters != 1 || got != 1 || scope.Value != "1" {
		t.Errorf("dead letters of %s read in New York: coverage %d, exceptions %d, scope %s; want the 1 of 2026-11-30",
			p.Name, d.Coverage.DeadLetters, got, scope.Value)
	}
}

// A topic the archive should have read that does not exist (a typo in
// KAFKA_TOPIC, another cluster) proves nothing: once extract has produced
// events, the check says so instead of finding nothing left to archive.
func TestCompletenessMissingEventsTopic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := mustArchive(t, "")
	_, brokers := testkit.MustKafka(t)
	p, _ := ParseWeek("2026-W48")
	if _, err := pool.Exec(ctx, `INSERT INTO extract_runs (name, mode, since, started_at, ended_at, status, produced)
		VALUES ('live', 'run', '2026-11-20T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', 'ok', 12)`); err != nil {
		t.Fatal(err)
	}
	missing := testkit.Name("no-such-topic")
	c := &Completeness{Checkpoints: pool, Checkpoint: "live", Overlap: 10 * time.Minute,
		Kafka:   &kafka.Client{Addr: kafka.TCP(brokers), Timeout: 10 * time.Second, Transport: testkit.Transport(t)},
		Sources: []Source{{Topic: missing, Group: testkit.Name("archive")}}}
	_, reasons, err := c.Check(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(reasons, "\n"), missing+" does not exist") {
		t.Errorf("reasons = %q, want the missing topic named", reasons)
	}
}
