package detector

import "github.com/prometheus/client_golang/prometheus"

// metrics are detect's Prometheus series.
type metrics struct {
	events, invalid prometheus.Counter
	alerts          *prometheus.CounterVec
	late            prometheus.Gauge
	truncated       prometheus.Counter
	untimed, future prometheus.Gauge
	stateBytes      prometheus.Gauge
	watermark       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		events:     prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_events_total", Help: "Events processed by the rules."}),
		invalid:    prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_invalid_total", Help: "Records that are not events, sent to the dead-letter topic."}),
		alerts:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pigment_detect_alerts_total", Help: "Alerts written, by rule and severity."}, []string{"rule", "severity"}),
		late:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_late_events", Help: "Events that arrived after their window was decided (since start)."}),
		untimed:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_untimed_events", Help: "Events without a usable time (none, or before 1700 or from 2200 on), in no window (since the state began)."}),
		future:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_future_events", Help: "Events dated more than maxFuture after their record's completeBefore, in no window (since the state began)."}),
		truncated:  prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_alerts_truncated_total", Help: "Alerts cut to fit KAFKA_MAX_MESSAGE_BYTES (flagged truncated)."}),
		stateBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_state_bytes", Help: "Size of the saved detector state."}),
		watermark:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_watermark_timestamp_seconds", Help: "Event-time watermark: windows before it are decided."}),
	}
	reg.MustRegister(m.events, m.invalid, m.alerts, m.truncated, m.late, m.untimed, m.future, m.stateBytes, m.watermark)
	return m
}
