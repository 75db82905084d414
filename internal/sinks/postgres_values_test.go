package sinks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/sinks"
)

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
		if got := queryString(t, u, c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}

func queryString(tb testing.TB, u, sql string) string {
	tb.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	var s string
	if err := c.QueryRow(ctx, sql).Scan(&s); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return s
}
