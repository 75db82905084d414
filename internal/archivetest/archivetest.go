// Package archivetest fills archives for tests the way forward
// SINK=postgres does: a simulator's backlog produced to a topic of a
// broker over TCP, read back, and archived with the real sink at the
// offsets it was read from. The report's and the KPIs' tests share it, so
// that both count the same kind of archive.
package archivetest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/transform"
	"github.com/pigment-siem/pipeline/migrations"
)

// Backlog returns a simulator made of cfg (APIKey "k", one page, no late
// events: set Clock) and its whole backlog, as the API serves it.
func Backlog(tb testing.TB, cfg pigmentsim.Config) (*pigmentsim.Sim, [][]byte) {
	tb.Helper()
	cfg.APIKey, cfg.PageSize, cfg.LateFraction = "k", 100000, -1
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	since := cfg.Clock().Add(-cfg.History).AddDate(0, 0, -20)
	req := httptest.NewRequest(http.MethodGet, "/api/audit/v1/events?ingestedSince="+since.Format(time.RFC3339), nil)
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	sim.Handler().ServeHTTP(rec, req)
	var page struct{ Events []json.RawMessage }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil || len(page.Events) == 0 {
		tb.Fatalf("simulator answered %d: %.300s", rec.Code, rec.Body)
	}
	out := make([][]byte, len(page.Events))
	for i, e := range page.Events {
		out[i] = e
	}
	return sim, out
}

// Produce writes records to topic, keyed by their eventId or id.
func Produce(tb testing.TB, addr, topic string, records [][]byte) {
	tb.Helper()
	wr := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true,
		Balancer: &kafka.Hash{}, Transport: testkit.Transport(tb), BatchSize: 1000}
	defer wr.Close()
	msgs := make([]kafka.Message, len(records))
	for i, r := range records {
		var k struct{ EventID, ID string }
		_ = json.Unmarshal(r, &k)
		msgs[i] = kafka.Message{Key: []byte(k.EventID + k.ID), Value: r}
	}
	if err := wr.WriteMessages(context.Background(), msgs...); err != nil {
		tb.Fatalf("produce to %s: %v", topic, err)
	}
}

// MustArchive returns a new archive database (migrations applied), the
// sink writing into it (closed at the end of the test) and a pool reading
// it, whose sessions use the time zone tz ("" for the server's).
func MustArchive(tb testing.TB, tz string) (*sinks.Postgres, *pgxpool.Pool) {
	tb.Helper()
	u := testkit.MustPostgres(tb)
	if err := migrations.Apply(context.Background(), u); err != nil {
		tb.Fatal(err)
	}
	sink, err := sinks.NewPostgres(sinks.PostgresConfig{URL: u, Logger: zerolog.Nop()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sink.Close() })
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		tb.Fatal(err)
	}
	if tz != "" {
		cfg.ConnConfig.RuntimeParams["TimeZone"] = tz
	}
	db, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return sink, db
}

// Archive sends the records read from Kafka to the archive sink, as
// forward does, in batches.
func Archive(tb testing.TB, sink *sinks.Postgres, msgs []kafka.Message, kind event.Kind) {
	tb.Helper()
	const batch = 2000
	for len(msgs) > 0 {
		n := min(batch, len(msgs))
		rows := make([][]byte, n)
		for i, m := range msgs[:n] {
			ev, err := event.Parse(m.Value, kind)
			if err != nil {
				tb.Fatalf("parse %s: %v", m.Value, err)
			}
			ev.Topic, ev.Partition, ev.Offset = m.Topic, m.Partition, m.Offset
			rows[i] = transform.AppendArchive(nil, &ev)
		}
		res, err := sink.Send(context.Background(), rows, nil)
		if err != nil {
			tb.Fatalf("archive: %v", err)
		}
		for i, r := range res {
			if r.Outcome != sinks.Delivered {
				tb.Fatalf("archive row %d: %+v", i, r)
			}
		}
		msgs = msgs[n:]
	}
}
