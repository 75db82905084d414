package sinks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/transform"
	"github.com/pigment-siem/pipeline/migrations"
)

// The archive tests' setup: a migrated database, the sink on it, rows as
// the forwarder formats them, and one-value queries.

// mustArchiveDB returns the URL of a fresh database with the migrations
// applied.
func mustArchiveDB(tb testing.TB) string {
	tb.Helper()
	u := testkit.MustPostgres(tb)
	if err := migrations.Apply(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
	return u
}

func mustArchive(tb testing.TB, u string, cfg sinks.PostgresConfig) *sinks.Postgres {
	tb.Helper()
	cfg.URL = u
	cfg.Logger = zerolog.Nop()
	p, err := sinks.NewPostgres(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// archiveRow formats a record as the forwarder would, read at offset of
// topic.
func archiveRow(tb testing.TB, raw string, kind event.Kind, topic string, offset int64) []byte {
	tb.Helper()
	ev, err := event.Parse([]byte(raw), kind)
	if err != nil {
		tb.Fatalf("Parse(%s): %v", raw, err)
	}
	ev.Topic, ev.Partition, ev.Offset = topic, 0, offset
	return transform.AppendArchive(nil, &ev)
}

func eventJSON(id, ingested string) string {
	return fmt.Sprintf(`{"eventId":%q,"eventType":"UserLoggedIn","eventTimestamp":%q,"ingestionTimestamp":%q,"actor":{"memberId":"m-1","email":"a@acme.io"}}`, id, ingested, ingested)
}

// wantArchived fails the test unless archive_events holds n rows.
func wantArchived(t *testing.T, u string, n int) {
	t.Helper()
	if got := queryInt(t, u, "SELECT count(*) FROM archive_events"); got != n {
		t.Errorf("archive_events has %d rows, want %d", got, n)
	}
}

func queryInt(tb testing.TB, u, sql string, args ...any) int {
	tb.Helper()
	return queryValue[int](tb, u, sql, args...)
}

// queryValue is the one value of a one-row query.
func queryValue[T any](tb testing.TB, u, sql string, args ...any) T {
	tb.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	var v T
	if err := c.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return v
}

// Unusual values through the binary COPY, each archived once and read back
// as written, and the whole batch delivered again (a re-delivery after a
// crash before the offsets' commit) adding no row: nine-digit fractions
// (one rounding into the next month's partition), years 1700 and 2200, a
// 60 KB event, U+0000 and invalid UTF-8, and eventIds that differ only
// in those.
func TestPostgresUnusualValues(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	big := strings.Repeat("x", 60<<10)
	raws := map[string]string{
		"frac":  eventJSON("frac", "2026-11-30T23:59:59.999999600Z"), // rounds to 2026-12-01
		"y1700": eventJSON("y1700", "1700-03-01T12:00:00.123456789Z"),
		"y2200": eventJSON("y2200", "2200-12-31T23:59:59.999999Z"),
		"big":   `{"eventId":"big","eventType":"BlockModified","ingestionTimestamp":"2026-11-02T00:00:00Z","metadata":{"blob":"` + big + `"}}`,
		"nul":   "{\"eventId\":\"id\\u0000\",\"eventType\":\"T\\u0000\xff\",\"ingestionTimestamp\":\"2026-11-03T00:00:00Z\",\"actor\":{\"memberId\":\"m\\u0000\"}}",
		"bad":   "{\"eventId\":\"id\xff\",\"eventType\":\"T\",\"ingestionTimestamp\":\"2026-11-03T00:00:00Z\"}",
		"fffd":  "{\"eventId\":\"id\ufffd\",\"eventType\":\"T\",\"ingestionTimestamp\":\"2026-11-03T00:00:00Z\"}",
	}
	var recs [][]byte
	i := int64(0)
	for _, k := range []string{"frac", "y1700", "y2200", "big", "nul", "bad", "fffd"} {
		recs = append(recs, archiveRow(t, raws[k], event.KindEvent, "t", i))
		i++
	}
	ctx := context.Background()
	for round := range 2 {
		rs, err := p.Send(ctx, recs, make([]string, len(recs)))
		if err != nil || outcomes(rs) != strings.Repeat("D", len(recs)) {
			t.Fatalf("round %d: Send = %s, %v", round, outcomes(rs), err)
		}
	}
	// Every record is a row, found by its exact bytes.
	for k, raw := range raws {
		if n := queryInt(t, u, "SELECT count(*) FROM archive_events WHERE raw = $1", []byte(raw)); n != 1 {
			t.Errorf("%s: %d rows hold its exact bytes, want 1", k, n)
		}
	}
	wantArchived(t, u, len(raws))
	for _, c := range []struct{ sql, want string }{
		{`SELECT tableoid::regclass::text || ' ' || ingestion_timestamp || ' ' || to_char(ingestion_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM archive_events WHERE kafka_offset = 0`,
			"archive_events_y2026m12 2026-11-30T23:59:59.9999996Z 2026-12-01 00:00:00.000000"},
		{`SELECT tableoid::regclass::text || ' ' || to_char(ingestion_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM archive_events WHERE kafka_offset = 1`,
			"archive_events_y1700m03 1700-03-01 12:00:00.123457"},
		{`SELECT tableoid::regclass::text || ' ' || to_char(ingestion_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM archive_events WHERE kafka_offset = 2`,
			"archive_events_y2200m12 2200-12-31 23:59:59.999999"},
		{`SELECT length(raw)::text FROM archive_events WHERE kafka_offset = 3`, fmt.Sprint(len(raws["big"]))},
		{`SELECT event_type || '|' || actor_id FROM archive_events WHERE kafka_offset = 4`, "T\ufffd\ufffd|m\ufffd"},
	} {
		if got := queryValue[string](t, u, c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

// Maintain keeps the BRIN on event_time summarized: a block range Postgres
// has not summarized matches every query, so without it a weekly report
// reads every block written since the last VACUUM (every block, where
// autovacuum is off). After Maintain, a week of a month's partition reads
// a fraction of it.
func TestPostgresMaintainSummarizesEventTime(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	ctx := context.Background()
	pad := strings.Repeat("p", 900) // about seven rows a page: 12,000 rows are some 1,700 pages, 13 ranges
	var recs [][]byte
	for i := range 12000 {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 3 * time.Minute)
		raw := fmt.Sprintf(`{"eventId":"e-%d","eventType":"BlockModified","eventTimestamp":%q,"ingestionTimestamp":%q,"metadata":{"pad":%q}}`,
			i, at.Format(time.RFC3339), at.Add(time.Minute).Format(time.RFC3339), pad)
		recs = append(recs, archiveRow(t, raw, event.KindEvent, "t", int64(i)))
	}
	for len(recs) > 0 {
		n := min(1000, len(recs))
		if rs, err := p.Send(ctx, recs[:n], make([]string, n)); err != nil || strings.Count(outcomes(rs), "D") != n {
			t.Fatalf("Send = %s, %v", outcomes(rs), err)
		}
		recs = recs[n:]
	}
	if _, err := p.Maintain(ctx, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	pages := queryValue[int](t, u, `SELECT pg_relation_size('archive_events_y2026m11') / current_setting('block_size')::int`)
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var plan string
	// The BRIN's plan, as the reports' queries by period get it on a large
	// archive: not the B-trees that lead with another column.
	for _, sql := range []string{"ANALYZE archive_events", "SET enable_indexscan = off", "SET enable_seqscan = off"} {
		if _, err := c.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.QueryRow(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON)
		SELECT count(*) FROM archive_events WHERE event_time >= '2026-11-16' AND event_time < '2026-11-23'`).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var read int
	for _, key := range []string{`"Exact Heap Blocks": `, `"Lossy Heap Blocks": `} {
		for rest := plan; strings.Contains(rest, key); {
			rest = rest[strings.Index(rest, key)+len(key):]
			var n int
			fmt.Sscan(rest, &n)
			read += n
		}
	}
	t.Logf("a week of a %d-page partition read %d pages", pages, read)
	if pages < 300 || read == 0 || read > pages/2 {
		t.Errorf("a week of a %d-page partition read %d pages, want at most half; plan:\n%s", pages, read, plan)
	}
}
