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
	"github.com/pigment-siem/pipeline/internal/record"
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

// TestAgesAreComputedWhenScraped catches up a backlog: the age of the
// newest committed event is that of the newest ingestion time in the topic,
// and both ages grow between two scrapes while nothing runs.
func TestAgesAreComputedWhenScraped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 61, History: time.Hour, HistoryEvents: 50, LateFraction: -1})
	reg := prometheus.NewRegistry()
	cfg := h.config()
	cfg.Metrics = extractor.NewMetrics(reg)
	h.catchUp(cfg)
	var newest time.Time
	for _, m := range testkit.ReadAll(t, h.brokers, h.topic) {
		if at, err := time.Parse(time.RFC3339Nano, testkit.Header(m, record.HeaderIngestion)); err == nil && at.After(newest) {
			newest = at
		}
	}
	scrape := func() (age, lastOK float64) {
		return gauge(t, reg, "pigment_extract_newest_event_age_seconds"), gauge(t, reg, "pigment_extract_last_success_age_seconds")
	}
	age, lastOK := scrape()
	if want := time.Since(newest).Seconds(); age < want-1 || age > want+1 {
		t.Errorf("newest event age = %.1fs, want %.1fs (the newest ingestion time produced, %v)", age, want, newest)
	}
	time.Sleep(100 * time.Millisecond)
	age2, lastOK2 := scrape()
	if age2 <= age || lastOK2 <= lastOK || lastOK < 0 || lastOK > 5 {
		t.Errorf("ages scraped 100ms apart = (%v, %v) then (%v, %v): want both growing, the run just ended", age, lastOK, age2, lastOK2)
	}
}

// gauge returns the value of the live checkpoint's gauge name in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
