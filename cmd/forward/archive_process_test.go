package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// archiveCount runs a count query against the archive; -1 while its
// tables are not there yet.
func archiveCount(t testing.TB, u, sql string) int {
	t.Helper()
	var n int
	if err := testkit.QueryRow(t, u, sql, &n); err != nil {
		return -1
	}
	return n
}

// SINK=postgres: the simulator's events, alerts and dead letters reach the
// archive; a kill -9 mid-stream and a restart leave each eventId once, and
// every committed offset is archived.
func TestArchiveKill9AndRestartKeepsEachEventOnce(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 4000)
	u := testkit.MustPostgres(t)
	var alerts []kafka.Message
	for i := range 3 {
		alerts = append(alerts, kafka.Message{Topic: d.alerts, Key: []byte("m-1"), Value: fmt.Appendf(nil,
			`{"id":"alert-%d","rule":"privilege-escalation","severity":"high","actor":"m-1","window":{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z"},"count":1,"evidence":[%q]}`,
			i, d.ids[i])})
	}
	bad := kafka.Message{Topic: d.topic, Key: []byte("x"), Value: []byte(`{not json`)}
	letter := record.Letter{Key: []byte("e-lost"), Value: []byte(`{"eventType":"X"}`), Reason: "missing eventId",
		Stage: "extract", Time: time.Now()}.Message(d.dlq, 1<<20)
	d.write(t, append(alerts, bad, letter)...)
	env := d.env("postgres", map[string]string{
		"ARCHIVE_DATABASE_URL":  u,
		"FORWARD_ALERTS":        "true",
		"FORWARD_BATCH_SIZE":    "100",
		"KAFKA_SESSION_TIMEOUT": "6s",
	})

	p := startForward(t, env, "run")
	if !eventually(60*time.Second, func() bool { return p.Exited() || archiveCount(t, u, "SELECT count(*) FROM archive_events") >= 1000 }) || p.Exited() {
		t.Fatalf("nothing archived before the kill (%v); stderr:\n%s", p.Err(), tail(p.Stderr(), 4096))
	}
	p.Kill()
	if n := archiveCount(t, u, "SELECT count(*) FROM archive_events"); n >= len(d.ids) {
		t.Fatalf("the kill came after all %d events were archived: the test would prove nothing", n)
	} else {
		t.Logf("killed with %d of %d events archived", n, len(d.ids))
	}

	recs := d.records(t)
	p = startForward(t, env, "run")
	want := len(d.ids)
	done := func() bool {
		return p.Exited() || (archiveCount(t, u, "SELECT count(*) FROM archive_events") >= want &&
			archiveCount(t, u, "SELECT count(*) FROM archive_alerts") >= 3 &&
			archiveCount(t, u, "SELECT coalesce(sum(count), 0)::int FROM archive_dead_letters_daily") >= 2 &&
			d.allCommitted(t, d.group, recs))
	}
	if !eventually(90*time.Second, done) || p.Exited() {
		archived := archivedRaw(t, u)
		for _, r := range recs {
			if _, ok := archived[r.id]; r.id != "" && !ok {
				t.Logf("not archived: %s at %d/%d", r.id, r.partition, r.offset)
				break
			}
		}
		t.Logf("committed: %v", d.committed(t, d.group))
		t.Fatalf("archive after the restart: %d events, %d alerts, %d dead letters (%v); stderr:\n%s",
			archiveCount(t, u, "SELECT count(*) FROM archive_events"), archiveCount(t, u, "SELECT count(*) FROM archive_alerts"),
			archiveCount(t, u, "SELECT coalesce(sum(count), 0)::int FROM archive_dead_letters_daily"), p.Err(), tail(p.Stderr(), 4096))
	}
	p.Stop()
	if p.Wait(10*time.Second) != 0 {
		t.Errorf("forward exited with %v; stderr:\n%s", p.Err(), tail(p.Stderr(), 4096))
	}
	for _, c := range []struct {
		sql  string
		want int
	}{
		{"SELECT count(*) FROM archive_events", want},
		{"SELECT count(DISTINCT event_id) FROM archive_events", want},
		{"SELECT count(*) FROM archive_alerts", 3},
		{"SELECT coalesce(sum(count), 0)::int FROM archive_dead_letters_daily WHERE stage = 'extract' AND reason_class = 'missing eventId'", 1},
		{"SELECT coalesce(sum(count), 0)::int FROM archive_dead_letters_daily WHERE stage = 'forward:postgres' AND reason_class = 'invalid record'", 1},
		{"SELECT count(*) FROM archive_events WHERE kafka_topic IS NULL OR kafka_offset IS NULL OR length(raw) = 0", 0},
	} {
		if got := archiveCount(t, u, c.sql); got != c.want {
			t.Errorf("%s = %d, want %d", c.sql, got, c.want)
		}
	}
	// Every record's exact bytes.
	seen := archivedRaw(t, u)
	for id, raw := range seen {
		if string(raw) != string(d.raw[id]) {
			t.Fatalf("raw of %s = %.200s, want %.200s", id, raw, d.raw[id])
		}
	}
	checkAllDelivered(t, d.ids, func(id string) bool { _, ok := seen[id]; return ok })
}

// A wrong database name stops forward at start (exit 1, the database named
// without its password), rather than waiting for ever.
func TestArchiveWrongDatabaseStops(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 10)
	u := strings.Replace(testkit.MustPostgres(t), "?", "_missing?", 1)
	u = strings.Replace(u, "postgres@", "postgres:s3cret-pw@", 1)
	code, stdout, stderr := runForward(t, d.env("postgres", map[string]string{"ARCHIVE_DATABASE_URL": u}), "run")
	if code != 1 || !strings.Contains(stderr, "does not exist") || strings.Contains(stderr, "s3cret-pw") {
		t.Errorf("forward run = exit %d; want 1 naming the missing database without its password; stdout %s, stderr:\n%s", code, stdout, tail(stderr, 2048))
	}
}

// archivedRaw returns the archived events' exact bytes by eventId.
func archivedRaw(t testing.TB, u string) map[string][]byte {
	t.Helper()
	var ids []string
	var raws [][]byte
	if err := testkit.QueryRow(t, u, "SELECT coalesce(array_agg(event_id), '{}'), coalesce(array_agg(raw), '{}') FROM archive_events", &ids, &raws); err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]byte, len(ids))
	for i, id := range ids {
		out[id] = raws[i]
	}
	return out
}

// forward setup prepares the archive: tables and the partitions ahead.
func TestArchiveSetup(t *testing.T) {
	t.Parallel()
	u := testkit.MustPostgres(t)
	code, stdout, stderr := runForward(t, map[string]string{"SINK": "postgres", "ARCHIVE_DATABASE_URL": u,
		"ARCHIVE_PARTITIONS_AHEAD": "2", "LOG_FORMAT": "json"}, "setup")
	if code != 0 || !strings.Contains(stdout, "archive schema and partitions ready") {
		t.Fatalf("forward setup = exit %d, stdout %q; stderr:\n%s", code, stdout, tail(stderr, 2048))
	}
	if n := archiveCount(t, u, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'archive_events'::regclass"); n != 3 {
		t.Errorf("%d partitions after setup, want 3 (this month and 2 ahead)", n)
	}
}

// TestArchiveWaitServesHealth: while forward waits for an unreachable
// archive database (nothing listens on its port), /metrics and /healthz
// answer, so an orchestrator's probes see a live process, not a hung one.
func TestArchiveWaitServesHealth(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 10)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "postgres://postgres@" + l.Addr().String() + "/archive?sslmode=disable&connect_timeout=2"
	l.Close()
	p := startForward(t, d.env("postgres", map[string]string{"ARCHIVE_DATABASE_URL": down, "LOG_FORMAT": "json"}), "run")
	if !eventually(30*time.Second, func() bool {
		return p.Exited() || strings.Contains(p.Stderr(), "archive database not ready")
	}) || p.Exited() {
		t.Fatalf("forward did not wait for the archive database (%v); stderr:\n%s", p.Err(), tail(p.Stderr(), 4096))
	}
	if h := health(t, p); h.RecordsCommitted != 0 {
		t.Errorf("/healthz while waiting for the archive: %+v, want nothing committed", h)
	}
	scrape(t, p, "/metrics") // answers 200 (its series with labels appear once delivery moves)
}
