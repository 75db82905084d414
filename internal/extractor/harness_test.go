package extractor_test

import (
	"context"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

const simKey = "test-secret-key-0123456789"

// harness is one isolated pipeline: a simulator over HTTP, a Kafka broker
// over TCP, a fresh Postgres database, and the real client, publisher and
// store between them.
type harness struct {
	t       testing.TB
	sim     *pigmentsim.Sim
	srvURL  string
	clock   *pigmentsim.ManualClock
	kafka   *kfake.Cluster
	brokers string
	topic   string
	dlq     string
	pool    *pgxpool.Pool
	store   *checkpoint.Store
	client  *pigment.Client
	pub     *publish.Publisher
}

func newHarness(t testing.TB, simCfg pigmentsim.Config) *harness {
	t.Helper()
	h := &harness{t: t, topic: testkit.Name("events"), dlq: testkit.Name("dlq")}
	if simCfg.Clock == nil {
		h.clock = pigmentsim.NewManualClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
		simCfg.Clock = h.clock.Now
	}
	simCfg.APIKey = simKey
	sim, err := pigmentsim.New(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	h.sim = sim
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	h.srvURL = srv.URL

	h.kafka, h.brokers = testkit.MustKafka(t)
	dbURL := testkit.MustPostgres(t)
	ctx := context.Background()
	if err := migrations.Apply(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	h.pool, err = pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.pool.Close)
	h.store = checkpoint.New(h.pool)
	h.client, err = pigment.New(pigment.Config{
		BaseURL: srv.URL, APIKey: simKey, Logger: testLogger(t),
		BaseBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 50,
		RateWindow: 50 * time.Millisecond, Now: h.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.pub, err = publish.New(publish.Config{
		Brokers: []string{h.brokers}, Transport: testkit.Transport(t), Logger: testLogger(t), Compression: "lz4",
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.pub.Close() })
	return h
}

func (h *harness) now() time.Time {
	if h.clock != nil {
		return h.clock.Now()
	}
	return time.Now()
}

func (h *harness) config() extractor.Config {
	return extractor.Config{
		Checkpoint: "live", Mode: "once", Topic: h.topic, DLQTopic: h.dlq,
		Overlap: 10 * time.Minute, Logger: testLogger(h.t), Now: h.now,
		StoreRetryFor: time.Minute,
	}
}

func (h *harness) extractor(cfg extractor.Config) *extractor.Extractor {
	return extractor.New(cfg, h.client, h.pub, h.store)
}

func (h *harness) catchUp(cfg extractor.Config) extractor.Result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := h.extractor(cfg).CatchUp(ctx)
	if err != nil {
		h.t.Fatalf("CatchUp: %v", err)
	}
	return res
}

// produced returns the eventId of every record in the topic, in no order.
func (h *harness) produced() []string {
	var ids []string
	for _, m := range testkit.ReadAll(h.t, h.brokers, h.topic) {
		ids = append(ids, testkit.Header(m, record.HeaderEventID))
	}
	return ids
}

// assertExactlyOnce checks that the topic holds every ID of want once and
// nothing else.
func assertExactlyOnce(t *testing.T, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no events expected: the test would prove nothing")
	}
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var missing, dup []string
	for _, id := range want {
		if count[id] == 0 {
			missing = append(missing, id)
		}
		if count[id] > 1 {
			dup = append(dup, id)
		}
		delete(count, id)
	}
	if len(missing) > 0 || len(dup) > 0 || len(count) > 0 {
		t.Fatalf("topic holds %d records for %d events: %d missing (e.g. %v), %d twice (e.g. %v), %d unexpected",
			len(got), len(want), len(missing), first(missing), len(dup), first(dup), len(count))
	}
}

func first(s []string) []string {
	sort.Strings(s)
	return s[:min(len(s), 3)]
}

func testLogger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

var _ = kafka.Message{}
