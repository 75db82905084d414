package kpi

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/obs"
)

// Metrics are the gauges of the latest day computed (README, "KPIs"):
//
//	pigment_kpi_value{kpi}            the KPI's value (absent when not available)
//	pigment_kpi_target{kpi}           its target (absent when it has none)
//	pigment_kpi_target_breached{kpi}  1 when past its target, else 0
//	pigment_kpi_day_timestamp_seconds the UTC midnight of the day they describe
//	pigment_kpi_alerts_total{rule}    threshold alerts produced
//
// A day older than the latest one set (a backfill) leaves them as they
// are. Safe for concurrent use.
type Metrics struct {
	mu     sync.Mutex
	latest time.Time // the day shown

	value, target, breached *prometheus.GaugeVec
	day                     prometheus.Gauge
	alerts                  *prometheus.CounterVec
}

// NewMetrics makes the KPI gauges and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const prefix = "pigment_kpi_"
	m := &Metrics{}
	m.day = obs.NewFamily(reg, prefix).Gauge("day_timestamp_seconds", "UTC midnight of the day the KPI gauges describe.").
		WithLabelValues()
	m.alerts = obs.NewFamily(reg, prefix, "rule").Counter("alerts_total", "Threshold alerts produced, by rule.")
	byKPI := obs.NewFamily(reg, prefix, "kpi")
	m.value = byKPI.Gauge("value", "The KPI's value on the latest day computed (shares as fractions); absent when not available.")
	m.target = byKPI.Gauge("target", "The KPI's target on the latest day computed; absent when it has none.")
	m.breached = byKPI.Gauge("target_breached", "1 when the KPI is past its target on the latest day computed, else 0.")
	return m
}

// set shows the values of their day, if it is not older than the latest
// shown.
func (m *Metrics) set(day time.Time, values []Value) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if day.Before(m.latest) {
		return
	}
	m.latest = day
	m.day.Set(float64(day.Unix()))
	for _, v := range values {
		setOrDelete(m.value, v.KPI, v.Value)
		setOrDelete(m.target, v.KPI, v.Target)
		breached := 0.0
		if v.Status == Breached {
			breached = 1
		}
		m.breached.WithLabelValues(v.KPI).Set(breached)
	}
}

func setOrDelete(g *prometheus.GaugeVec, kpi string, v *float64) {
	if v == nil {
		g.DeleteLabelValues(kpi)
		return
	}
	g.WithLabelValues(kpi).Set(*v)
}

// alerted counts an alert of rule produced.
func (m *Metrics) alerted(rule string) {
	if m != nil {
		m.alerts.WithLabelValues(rule).Inc()
	}
}
