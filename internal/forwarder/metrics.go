package forwarder

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/obs"
)

// Metrics are the forwarder's Prometheus series; a nil *Metrics records
// nothing.
type Metrics struct {
	Delivered    *prometheus.CounterVec
	Retried      *prometheus.CounterVec
	DeadLettered *prometheus.CounterVec
	CommitFailed *prometheus.CounterVec
	BatchSeconds *prometheus.HistogramVec
	Lag          *prometheus.GaugeVec
	// InFlight is the batches in delivery or waiting for an earlier one's
	// commit: pinned at FORWARD_SENDERS, the sink is the bottleneck.
	InFlight *prometheus.GaugeVec
	// AckResent counts records sent again because the sink accepted them
	// but did not acknowledge them in time (HEC indexer acknowledgement).
	AckResent *prometheus.CounterVec
	// PendingBytes is the bytes of batches sent and not yet confirmed,
	// bounded by Config.AckPendingBytes (only tracked with it).
	PendingBytes *prometheus.GaugeVec
	// IngestionAge and EventAge are how old each event the sink confirmed
	// was, since its ingestionTimestamp and since its eventTimestamp:
	// pigment_forward_ingestion_age_seconds and
	// pigment_forward_event_age_seconds, histograms per sink.
	IngestionAge, EventAge *ages
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := obs.NewFamily(reg, "pigment_forward_", "sink")
	ing := newAges("pigment_forward_ingestion_age_seconds",
		"Age of each event confirmed by the sink since its ingestionTimestamp (Pigment made it visible), at confirmation.")
	occ := newAges("pigment_forward_event_age_seconds",
		"Age of each event confirmed by the sink since its eventTimestamp (the action in Pigment), at confirmation.")
	reg.MustRegister(ing, occ)
	return &Metrics{
		IngestionAge: ing, EventAge: occ,
		Delivered:    f.Counter("delivered_total", "Records confirmed by the sink."),
		Retried:      f.Counter("retried_total", "Record sends the sink answered with retry (busy, throttled, down)."),
		DeadLettered: f.Counter("dlq_total", "Records refused by the sink or unparsable, sent to the dead-letter topic."),
		CommitFailed: f.Counter("commit_failures_total", "Offset commits that failed (the batch may be delivered again)."),
		BatchSeconds: f.Histogram("batch_seconds", "Time from a batch's first send to its commit.", prometheus.ExponentialBuckets(0.001, 2, 16)),
		Lag:          f.Gauge("consumer_lag", "Records behind the end of the partition being read."),
		InFlight: f.Gauge("batches_in_flight", "Batches in delivery or waiting for an earlier batch's commit (at most FORWARD_SENDERS, "+
			"unless batches awaiting an indexer acknowledgement left their sender)."),
		AckResent: f.Counter("ack_resent_total", "Records sent again because their indexer acknowledgement did not come within SPLUNK_HEC_ACK_TIMEOUT."),
		PendingBytes: f.Gauge("ack_pending_bytes", "Bytes of batches sent and not yet confirmed (at most SPLUNK_HEC_ACK_PENDING_BYTES; "+
			"with indexer acknowledgement only)."),
	}
}

func (m *Metrics) batch(sink string, delivered, dead int, d time.Duration) {
	if m == nil {
		return
	}
	m.Delivered.WithLabelValues(sink).Add(float64(delivered))
	m.DeadLettered.WithLabelValues(sink).Add(float64(dead))
	m.BatchSeconds.WithLabelValues(sink).Observe(d.Seconds())
}

func (m *Metrics) inFlight(sink string, delta float64) {
	if m != nil {
		m.InFlight.WithLabelValues(sink).Add(delta)
	}
}

func (m *Metrics) retried(sink string, n int) {
	if m != nil {
		m.Retried.WithLabelValues(sink).Add(float64(n))
	}
}

func (m *Metrics) commitFailed(sink string) {
	if m != nil {
		m.CommitFailed.WithLabelValues(sink).Inc()
	}
}

func (m *Metrics) ackResent(sink string, n int) {
	if m != nil && n > 0 {
		m.AckResent.WithLabelValues(sink).Add(float64(n))
	}
}

func (m *Metrics) pendingBytes(sink string, n int) {
	if m != nil {
		m.PendingBytes.WithLabelValues(sink).Set(float64(n))
	}
}
