package forwarder

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	bySink := []string{"sink"}
	m := &Metrics{
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_forward_delivered_total", Help: "Records confirmed by the sink.",
		}, bySink),
		Retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_forward_retried_total", Help: "Record sends the sink answered with retry (busy, throttled, down).",
		}, bySink),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_forward_dlq_total", Help: "Records refused by the sink or unparsable, sent to the dead-letter topic.",
		}, bySink),
		CommitFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_forward_commit_failures_total", Help: "Offset commits that failed (the batch may be delivered again).",
		}, bySink),
		BatchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pigment_forward_batch_seconds", Help: "Time from a batch's first send to its commit.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, bySink),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pigment_forward_consumer_lag", Help: "Records behind the end of the partition being read.",
		}, bySink),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pigment_forward_batches_in_flight", Help: "Batches in delivery or waiting for an earlier batch's commit (at most FORWARD_SENDERS, unless batches awaiting an indexer acknowledgement left their sender).",
		}, bySink),
		AckResent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_forward_ack_resent_total", Help: "Records sent again because their indexer acknowledgement did not come within SPLUNK_HEC_ACK_TIMEOUT.",
		}, bySink),
		PendingBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pigment_forward_ack_pending_bytes", Help: "Bytes of batches sent and not yet confirmed (at most SPLUNK_HEC_ACK_PENDING_BYTES; with indexer acknowledgement only).",
		}, bySink),
	}
	reg.MustRegister(m.Delivered, m.Retried, m.DeadLettered, m.CommitFailed, m.BatchSeconds, m.Lag, m.InFlight, m.AckResent, m.PendingBytes)
	return m
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
