package forwarder_test

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestFreshnessOfConfirmedEvents forwards 300 events ingested at 10:00:05
// and stamped 10:00:00, one of which the sink refuses, and an unparsable
// record: both histograms count the 299 events the sink confirmed, with
// the age since ingestion five seconds less than since the event, and
// /healthz's status holds the last confirmed batch's ages.
func TestFreshnessOfConfirmedEvents(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 300, `{not json`)
	reg := prometheus.NewRegistry()
	status := &forwarder.Status{}
	s.tune = func(c *forwarder.Config) { c.Metrics, c.Status = forwarder.NewMetrics(reg), status }
	sink := rejecting("ev-00042", "mapper_parsing_exception")
	if err := s.forward(t, sink, 301); err != nil {
		t.Fatal(err)
	}
	since := time.Since(time.Date(2026, 11, 1, 10, 0, 5, 0, time.UTC)).Seconds()
	ing := histogram(t, reg, "pigment_forward_ingestion_age_seconds")
	occ := histogram(t, reg, "pigment_forward_event_age_seconds")
	if ing.GetSampleCount() != 299 || occ.GetSampleCount() != 299 {
		t.Fatalf("histograms counted %d and %d events, want the 299 the sink confirmed", ing.GetSampleCount(), occ.GetSampleCount())
	}
	if mean := ing.GetSampleSum() / 299; math.Abs(mean-since) > 60 {
		t.Errorf("mean age since ingestion = %.0fs, want about %.0fs", mean, since)
	}
	if d := (occ.GetSampleSum() - ing.GetSampleSum()) / 299; math.Abs(d-5) > 0.01 {
		t.Errorf("event age - ingestion age = %.3fs per event, want 5s", d)
	}
	if b := ing.GetBucket(); b[len(b)-1].GetUpperBound() != 86400 || b[len(b)-1].GetCumulativeCount() != 0 {
		t.Errorf("last bucket = %v, want le=86400 holding nothing (the events are weeks old)", b[len(b)-1])
	}
	f := status.Report().Freshness
	if f == nil || f.Records == 0 || f.Records > 100 || math.Abs(f.IngestionAge.Max-since) > 60 ||
		math.Abs(f.EventAge.Min-f.IngestionAge.Min-5) > 0.01 || time.Since(f.ConfirmedAt) > time.Minute {
		t.Errorf("status freshness = %+v, want the last confirmed batch (at most 100 events) about %.0fs after ingestion", f, since)
	}
}

// histogram returns the sink "fake"'s histogram called name in reg.
func histogram(t *testing.T, reg *prometheus.Registry, name string) *dto.Histogram {
	t.Helper()
	m, ok := testkit.Series(t, reg, name, "fake")
	if !ok {
		t.Fatalf("no histogram %s{sink=\"fake\"}", name)
	}
	return m.GetHistogram()
}
