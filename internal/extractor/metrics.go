package extractor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/obs"
)

// Metrics are the extractor's Prometheus series. A nil *Metrics is valid and
// records nothing, so tests need not register anything.
type Metrics struct {
	Produced   *prometheus.CounterVec
	DeadLetter *prometheus.CounterVec
	Duplicates *prometheus.CounterVec
	Skipped    *prometheus.CounterVec
	Future     *prometheus.CounterVec
	Pages      *prometheus.CounterVec
	Runs       *prometheus.CounterVec
	Watermark  *prometheus.GaugeVec
	// Health reports progress to /healthz and the watermark lag, computed
	// when scraped.
	Health     *Health
	KafkaRetry prometheus.Counter
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := obs.NewFamily(reg, "pigment_extract_", "checkpoint")
	m := &Metrics{
		Produced:   f.Counter("events_produced_total", "Events acknowledged by Kafka."),
		DeadLetter: f.Counter("events_dlq_total", "Invalid or oversized events sent to the dead-letter topic."),
		Duplicates: f.Counter("duplicates_skipped_total", "Events served again (overlap, restarted runs) and not produced twice."),
		Skipped:    f.Counter("events_out_of_range_total", "Events after a backfill's upper bound, left to the live extractor."),
		Future:     f.Counter("events_future_total", "Events produced whose ingestion time was past the run's start plus PIGMENT_MAX_CLOCK_SKEW."),
		Pages:      f.Counter("pages_total", "API pages fetched and committed."),
		Runs:       f.With("outcome").Counter("runs_total", "Runs ended, by outcome."),
		Watermark:  f.Gauge("watermark_timestamp_seconds", "Committed watermark (ingestion time) as a Unix time."),
		Health:     newHealth(time.Now),
		KafkaRetry: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pigment_extract_kafka_write_retries_total", Help: "Failed Kafka write attempts that were retried.",
		}),
	}
	reg.MustRegister(m.Health, m.KafkaRetry)
	return m
}

func (m *Metrics) page(cp string, produced, dlq, dups, skipped int) {
	if m == nil {
		return
	}
	m.Pages.WithLabelValues(cp).Inc()
	m.Produced.WithLabelValues(cp).Add(float64(produced))
	m.DeadLetter.WithLabelValues(cp).Add(float64(dlq))
	m.Duplicates.WithLabelValues(cp).Add(float64(dups))
	m.Skipped.WithLabelValues(cp).Add(float64(skipped))
}

func (m *Metrics) runEnded(cp, outcome string) {
	if m == nil {
		return
	}
	m.Runs.WithLabelValues(cp, outcome).Inc()
}

// health returns m.Health, nil when m is.
func (m *Metrics) health() *Health {
	if m == nil {
		return nil
	}
	return m.Health
}
