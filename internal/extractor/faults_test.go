package extractor_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

func TestAPIFaultsLoseNothing(t *testing.T) {
	tests := []struct {
		name                  string
		fault, slow, truncate float64
		rateLimit             int
		rateWindow            time.Duration
		wantFaults, want429s  bool
		wantTruncated         bool
	}{
		{name: "5xx and truncated bodies", fault: 0.3, truncate: 0.3, wantFaults: true, wantTruncated: true},
		// One request per 500ms window: the next page is asked for as soon as
		// one arrives, so 429s come however slow the machine is (two per
		// 100ms did not on a loaded one).
		{name: "429 storm", rateLimit: 1, rateWindow: 500 * time.Millisecond, want429s: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, pigmentsim.Config{
				Seed: 5, History: 4 * time.Hour, HistoryEvents: 6000, Clock: time.Now,
				FaultRate: tt.fault, TruncateRate: tt.truncate, RateLimit: tt.rateLimit, RateWindow: tt.rateWindow,
			})
			h.catchUp(h.config())
			assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.sim.Config().Clock()))
			st := h.sim.Stats()
			if (st.Faults > 0) != tt.wantFaults || (st.RateLimited > 0) != tt.want429s || (st.Truncated > 0) != tt.wantTruncated {
				t.Errorf("simulator stats %+v: the faults under test did not all happen", st)
			}
		})
	}
}

// crashingWriter simulates a crash right after Kafka acknowledged a page and
// before the checkpoint commit: the worst moment, which re-produces every
// page acknowledged but not yet committed (at most three).
type crashingWriter struct {
	inner interface {
		Write(context.Context, []kafka.Message) error
	}
	after   int32
	writes  atomic.Int32
	crash   context.CancelFunc
	crashed atomic.Bool
}

func (w *crashingWriter) Write(ctx context.Context, msgs []kafka.Message) error {
	if err := w.inner.Write(ctx, msgs); err != nil {
		return err
	}
	if w.writes.Add(1) == w.after {
		w.crashed.Store(true)
		w.crash()
		return context.Canceled
	}
	return nil
}

func TestCrashBetweenAckAndCommitReproducesAtMostThreePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 9, History: 5 * time.Hour, HistoryEvents: 5500})
	ctx, cancel := context.WithCancel(context.Background())
	w := &crashingWriter{inner: h.pub, after: 3, crash: cancel}
	_, err := extractor.New(h.config(), h.client, w, h.store).CatchUp(ctx)
	if !w.crashed.Load() || err == nil {
		t.Fatalf("the crash did not happen (err %v)", err)
	}
	cp, err := h.store.Load(context.Background(), "live")
	if err != nil || cp.Run == nil || cp.Run.Pages > 2 {
		t.Fatalf("after the crash the checkpoint should hold a run before page 3, got %+v (%v)", cp, err)
	}

	res := h.catchUp(h.config())
	got, want := h.produced(), h.sim.VisibleIDs(h.now())
	bound := 3 * 1000 // extractor.maxUncommitted pages
	if dups := len(got) - len(want); dups < 0 || dups > bound {
		t.Fatalf("%d records for %d events: want at most %d duplicates", len(got), len(want), bound)
	}
	t.Logf("%d duplicates after a crash between acknowledgement and commit", len(got)-len(want))
	assertExactlyOnce(t, dedupe(got), want)
	if res.Run.ID != cp.Run.ID {
		t.Errorf("restart began run %d instead of resuming run %d at its cursor", res.Run.ID, cp.Run.ID)
	}
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func TestKafkaDownHoldsTheCheckpoint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 13, History: 3 * time.Hour, HistoryEvents: 2500})
	down := h.kafka.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})

	done := make(chan error, 1)
	go func() {
		_, err := h.extractor(h.config()).CatchUp(context.Background())
		done <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := down.Wait(ctx, 5); err != nil {
		t.Fatalf("the extractor did not keep retrying produce: %v", err)
	}
	cp, err := h.store.Load(ctx, "live")
	if err != nil || cp.Run == nil || cp.Run.Pages != 0 || cp.Run.Cursor != "" {
		t.Fatalf("checkpoint moved while Kafka refused every write: %+v (%v)", cp, err)
	}
	down.Remove()
	if err := <-done; err != nil {
		t.Fatalf("CatchUp after Kafka came back: %v", err)
	}
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
}

func TestPostgresConnectionsCutMidRun(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 17, History: 8 * time.Hour, HistoryEvents: 12000, SlowRate: 1, SlowDelay: 20 * time.Millisecond})
	db := h.pool.Config().ConnConfig.Database
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var kills atomic.Int32
	go func() {
		admin, err := pgx.Connect(ctx, testkit.AdminDatabaseURL())
		if err != nil {
			return
		}
		defer admin.Close(context.Background())
		for ctx.Err() == nil && kills.Load() < 8 {
			time.Sleep(40 * time.Millisecond)
			var n int32
			_ = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE datname = $1 AND pid <> pg_backend_pid()`, db).Scan(&n)
			kills.Add(min(n, 1))
		}
	}()
	res := h.catchUp(h.config())
	cancel()
	if kills.Load() == 0 {
		t.Fatal("no Postgres connection was cut: the test proved nothing")
	}
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
	if res.Run.Pages < 12 {
		t.Errorf("run committed %d pages, want 12", res.Run.Pages)
	}
}

// advancingSource advances the fake clock before the nth fetch, so the
// cursor in hand expires, as the API's own cursors do.
type advancingSource struct {
	h     *harness
	n     int32
	calls atomic.Int32
}

func (s *advancingSource) FetchPage(ctx context.Context, since time.Time, cursor string) (*pigment.Page, error) {
	if s.calls.Add(1) == s.n {
		s.h.clock.Add(time.Hour)
	}
	return s.h.client.FetchPage(ctx, since, cursor)
}

func TestRejectedCursorRestartsTheRunWithoutDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 19, History: 5 * time.Hour, HistoryEvents: 4500, CursorTTL: 30 * time.Minute, LateFraction: -1})
	src := &advancingSource{h: h, n: 3}
	res, err := extractor.New(h.config(), src, h.pub, h.store).CatchUp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
	if res.Run.Duplicates < 1000 {
		t.Errorf("the restarted run recognised %d events already produced, want at least the 2 pages before the restart", res.Run.Duplicates)
	}
}
