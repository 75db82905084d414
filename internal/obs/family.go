package obs

import "github.com/prometheus/client_golang/prometheus"

// Family makes a component's Prometheus series: each named with the
// family's prefix, labelled the same way, and registered as it is made, so
// a series cannot be made and then forgotten by the registration.
type Family struct {
	reg    prometheus.Registerer
	prefix string
	labels []string
}

// NewFamily returns the family of series named prefix+name, with labels,
// registered with reg.
func NewFamily(reg prometheus.Registerer, prefix string, labels ...string) Family {
	return Family{reg: reg, prefix: prefix, labels: labels}
}

// With returns the family with more labels.
func (f Family) With(labels ...string) Family {
	f.labels = append(append([]string(nil), f.labels...), labels...)
	return f
}

// Counter makes and registers a counter.
func (f Family) Counter(name, help string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: f.prefix + name, Help: help}, f.labels)
	f.reg.MustRegister(c)
	return c
}

// Gauge makes and registers a gauge.
func (f Family) Gauge(name, help string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: f.prefix + name, Help: help}, f.labels)
	f.reg.MustRegister(g)
	return g
}

// Histogram makes and registers a histogram with buckets.
func (f Family) Histogram(name, help string, buckets []float64) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: f.prefix + name, Help: help, Buckets: buckets}, f.labels)
	f.reg.MustRegister(h)
	return h
}
