package extractor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	byCP := []string{"checkpoint"}
	m := &Metrics{
		Produced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_events_produced_total", Help: "Events acknowledged by Kafka.",
		}, byCP),
		DeadLetter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_events_dlq_total", Help: "Invalid or oversized events sent to the dead-letter topic.",
		}, byCP),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_duplicates_skipped_total", Help: "Events served again (overlap, restarted runs) and not produced twice.",
		}, byCP),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_events_out_of_range_total", Help: "Events after a backfill's upper bound, left to the live extractor.",
		}, byCP),
		Future: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_events_future_total", Help: "Events produced whose ingestion time was past the run's start plus PIGMENT_MAX_CLOCK_SKEW.",
		}, byCP),
		Pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_pages_total", Help: "API pages fetched and committed.",
		}, byCP),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pigment_extract_runs_total", Help: "Runs ended, by outcome.",
		}, []string{"checkpoint", "outcome"}),
		Watermark: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pigment_extract_watermark_timestamp_seconds", Help: "Committed watermark (ingestion time) as a Unix time.",
		}, byCP),
		Health: newHealth(time.Now),
		KafkaRetry: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pigment_extract_kafka_write_retries_total", Help: "Failed Kafka write attempts that were retried.",
		}),
	}
	reg.MustRegister(m.Produced, m.DeadLetter, m.Duplicates, m.Skipped, m.Future, m.Pages, m.Runs,
		m.Watermark, m.Health, m.KafkaRetry)
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
