package inventory

import (
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/obs"
)

// metrics are the runner's series (README, "inventory"), all named
// pigment_inventory_*.
type metrics struct {
	snapshots    *prometheus.CounterVec // {result}
	alerts       *prometheus.CounterVec // {rule,severity}
	requests     prometheus.Counter
	duration     prometheus.Gauge
	lastSnapshot prometheus.Gauge
	progress     prometheus.Gauge
	figures      *prometheus.GaugeVec // {figure}
	findings     *prometheus.GaugeVec // {rule}
	changes      *prometheus.GaugeVec // {kind,object}
	pruned       prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := obs.NewFamily(reg, "pigment_inventory_")
	return &metrics{
		snapshots: f.With("result").Counter("snapshots_total", "Snapshots attempted, by result (ok, failed)."),
		alerts:    f.With("rule", "severity").Counter("alerts_total", "Finding alerts written to the alerts topic."),
		requests:  f.Counter("requests_total", "Metadata API requests made by snapshots.").WithLabelValues(),
		duration:  f.Gauge("snapshot_duration_seconds", "How long the last snapshot took, API and Postgres.").WithLabelValues(),
		lastSnapshot: f.Gauge("last_snapshot_timestamp_seconds",
			"When the last saved snapshot was taken (Unix seconds).").WithLabelValues(),
		progress: f.Gauge("snapshot_progress_ratio", "Applications read of the snapshot in progress, 0 to 1.").WithLabelValues(),
		figures: f.With("figure").Gauge("summary",
			"The last snapshot's figures: applications, blocks, metrics, avg_dimensions (NaN: not available), large_applications, naming_violations."),
		findings: f.With("rule").Gauge("findings", "Findings of the last snapshot, by rule."),
		changes:  f.With("kind", "object").Gauge("changes", "Changes from the snapshot before to the last one."),
		pruned:   f.Counter("snapshots_pruned_total", "Snapshots deleted past ARCHIVE_RETENTION.").WithLabelValues(),
	}
}

// observe sets the gauges of a saved snapshot: its summary, its findings'
// rules, and the changes from the one before (none known: nil).
func (m *metrics) observe(sum Summary, findingRules []string, changes []Change) {
	avg := math.NaN()
	if sum.AvgDimensions != nil {
		avg = *sum.AvgDimensions
	}
	for k, v := range map[string]float64{"applications": float64(sum.Applications), "blocks": float64(sum.Blocks),
		"metrics": float64(sum.Metrics), "avg_dimensions": avg, "large_applications": float64(sum.LargeApplications),
		"naming_violations": float64(sum.NamingViolations)} {
		m.figures.WithLabelValues(k).Set(v)
	}
	m.lastSnapshot.Set(float64(sum.TakenAt.UnixNano()) / 1e9)
	for _, r := range rules {
		m.findings.WithLabelValues(r).Set(0)
	}
	for _, r := range findingRules {
		m.findings.WithLabelValues(r).Inc()
	}
	m.changes.Reset()
	for _, c := range changes {
		m.changes.WithLabelValues(c.Kind, c.Object).Inc()
	}
}
