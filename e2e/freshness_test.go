package e2e

// Freshness from Pigment to the SIEM (issue 16): the whole product on its
// defaults, the simulator appending events on the real clock, extract run
// and forward to a strict HEC receiver as processes.

import (
	"net/http"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

const hecToken = "hec-token-freshness-16"

// pipeline is extract run and forward run (SINK=splunk) on their defaults
// between a simulator appending rate events a second (Pigment's rate limit
// of 500 requests per 5 minutes included) and a strict HEC receiver. The
// simulator's last hour already holds events at that rate, so every poll
// re-reads a full PIGMENT_OVERLAP of them, as in a steady state.
type pipeline struct {
	sim              *pigmentsim.Sim
	hec              *sinktest.HEC
	extract, forward string // their metrics addresses
}

func startPipeline(tb testing.TB, rate float64, extractEnv map[string]string) *pipeline {
	tb.Helper()
	const key = "sim-key-freshness"
	sim, err := pigmentsim.New(pigmentsim.Config{APIKey: key, Seed: 16, Rate: rate,
		History: time.Hour, HistoryEvents: int(rate * 3600), RateLimit: 500, RateWindow: 5 * time.Minute})
	if err != nil {
		tb.Fatal(err)
	}
	st := testkit.NewStack(tb, sim.Handler(), key)
	hec := sinktest.NewHEC(tb, sinktest.HECOptions{Token: hecToken})
	// PIGMENT_RATE_LIMIT back to its default (500/5m): the poll interval is
	// derived from it.
	x := testkit.Start(tb, extractBin, st.ExtractEnv(map[string]string{
		"PIGMENT_RATE_LIMIT": "", "METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info",
	}).With(extractEnv), "run")
	f := testkit.Start(tb, forwardBin, testkit.Env{
		"SINK": "splunk", "SPLUNK_HEC_URL": hec.URL(), "SPLUNK_HEC_TOKEN": hecToken,
		"KAFKA_BROKERS": st.Brokers, "KAFKA_TOPIC": st.Topic, "KAFKA_DLQ_TOPIC": st.Topic + "-forward-dlq",
		"FORWARD_ALERTS": "false", "METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info",
	}, "run")
	return &pipeline{sim: sim, hec: hec, extract: x.MetricsAddr(), forward: f.MetricsAddr()}
}

// caughtUp waits until the receiver holds every event visible now.
func (p *pipeline) caughtUp(tb testing.TB) {
	tb.Helper()
	want := len(p.sim.VisibleIDs(time.Now()))
	if !testkit.Eventually(60*time.Second, func() bool { return p.hec.Unique() >= want }) {
		tb.Fatalf("the receiver holds %d events after a minute, want the %d visible at the start", p.hec.Unique(), want)
	}
}

// TestFreshnessMetricsExistAndMove runs the pipeline on its defaults: the
// freshness series of forward and the ages of extract are there, forward's
// histograms count new events as they arrive, extract's ages change from
// one scrape to the next, and forward's /healthz tells the freshness of the
// last confirmed batch. No timing is asserted.
func TestFreshnessMetricsExistAndMove(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, 5, nil)
	p.caughtUp(t)
	const (
		ingestion = `pigment_forward_ingestion_age_seconds_count{sink="splunk"}`
		occurred  = `pigment_forward_event_age_seconds_count{sink="splunk"}`
		newest    = `pigment_extract_newest_event_age_seconds{checkpoint="live"}`
		lastOK    = `pigment_extract_last_success_age_seconds{checkpoint="live"}`
	)
	// One scrape for the series compared; both histograms count a batch, so
	// a scrape between the two observations sees them one batch apart:
	// they must agree on some scrape, not on every one.
	scrape := func(addr string, series ...string) []float64 {
		t.Helper()
		vs, ok := testkit.Gauges(addr, series...)
		if !ok {
			t.Fatalf("%s lacks one of %q", addr, series)
		}
		return vs
	}
	var fwd, ext []float64
	if !testkit.Eventually(10*time.Second, func() bool {
		fwd = scrape(p.forward, ingestion, occurred)
		return fwd[0] > 0 && fwd[0] == fwd[1]
	}) {
		t.Errorf("forward counted %v events since ingestion and %v since the event, want the same, above 0", fwd[0], fwd[1])
	}
	ext = scrape(p.extract, newest, lastOK)
	var fwd2, ext2 []float64
	if !testkit.Eventually(30*time.Second, func() bool {
		fwd2, ext2 = scrape(p.forward, ingestion, occurred), scrape(p.extract, newest, lastOK)
		return fwd2[0] > fwd[0] && ext2[0] != ext[0] && ext2[1] != ext[1]
	}) {
		t.Errorf("over 30s of new events: forward's count %v -> %v, extract's ages %v -> %v: want them to move", fwd[0], fwd2[0], ext, ext2)
	}
	h := testkit.GetHealth(p.forward)
	fresh, _ := h.Details["freshness"].(map[string]any)
	if h.Status != http.StatusOK || fresh == nil || fresh["records"].(float64) <= 0 || fresh["ingestion_age_seconds"] == nil {
		t.Errorf("forward /healthz = %+v, want the freshness of the last confirmed batch", h)
	}
}

// BenchmarkFreshness measures, on the defaults, the time from an event's
// visibility at the API (the simulator knows it) to its arrival at the HEC
// receiver, for every event that became visible during the measured window
// (BENCH_FRESHNESS_SECONDS, default 45, after the backlog was caught up),
// at BENCH_FRESHNESS_RATE events a second (default 5, the simulator's).
// BENCH_PIGMENT_OVERLAP, when set, is extract's PIGMENT_OVERLAP.
func BenchmarkFreshness(b *testing.B) {
	window, rate := envFloat("BENCH_FRESHNESS_SECONDS", 45), envFloat("BENCH_FRESHNESS_RATE", 5)
	p := startPipeline(b, rate, map[string]string{"PIGMENT_OVERLAP": os.Getenv("BENCH_PIGMENT_OVERLAP")})
	p.caughtUp(b)
	requests0 := p.sim.Stats().Requests
	from := time.Now()
	to := from.Add(time.Duration(window * float64(time.Second)))
	b.ResetTimer()
	time.Sleep(time.Until(to))
	requests := p.sim.Stats().Requests - requests0
	visible := p.sim.VisibleSince(from, to)
	testkit.Eventually(30*time.Second, func() bool {
		arrived := p.hec.Arrived()
		for id := range visible {
			if _, ok := arrived[id]; !ok {
				return false
			}
		}
		return true
	})
	b.StopTimer()
	arrived := p.hec.Arrived()
	var lat []float64
	for id, v := range visible {
		if at, ok := arrived[id]; ok {
			lat = append(lat, at.Sub(v).Seconds())
		}
	}
	if len(lat) == 0 {
		b.Fatalf("none of the %d events visible in the window arrived", len(visible))
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	b.ReportMetric(q(0.5), "p50-s")
	b.ReportMetric(q(0.99), "p99-s")
	b.ReportMetric(lat[len(lat)-1], "max-s")
	b.ReportMetric(float64(len(lat)), "events")
	b.ReportMetric(float64(len(visible)-len(lat)), "missing")
	b.ReportMetric(float64(requests)/window*86400, "api-requests/day")
}

func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		return v
	}
	return def
}
