package extractor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestPollGoesOnAtOnceAfterAFullPage polls every hour: the first run reads
// a backlog of full pages of new events, so the next run starts at once
// instead of an hour later; that one finds nothing new and waits for the
// interval.
func TestPollGoesOnAtOnceAfterAFullPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 16, History: time.Hour, HistoryEvents: 35, PageSize: 10, LateFraction: -1})
	cfg := h.config()
	cfg.Mode = "run"
	cfg.Metrics = extractor.NewMetrics(prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.extractor(cfg).Poll(ctx, time.Hour) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Poll = %v, want context.Canceled", err)
		}
	}()
	runs := func() float64 { return testutil.ToFloat64(cfg.Metrics.Runs.WithLabelValues("live", "ok")) }
	if !testkit.Eventually(15*time.Second, func() bool { return runs() >= 2 }) {
		t.Fatalf("%v runs ended ok, want a second run at once after a run that read full pages of new events", runs())
	}
	time.Sleep(500 * time.Millisecond)
	if n := runs(); n != 2 {
		t.Errorf("%v runs ended ok, want 2: a run with nothing new waits for the interval", n)
	}
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
}
