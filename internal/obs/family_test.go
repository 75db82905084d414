package obs

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestFamilyRegistersWhatItMakes: every series a Family makes is named with
// its prefix, carries its labels (and those With adds), and is registered.
func TestFamilyRegistersWhatItMakes(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	f := NewFamily(reg, "x_", "sink")
	f.Counter("sent_total", "sent").WithLabelValues("a").Inc()
	f.Gauge("lag", "lag").WithLabelValues("a").Set(2)
	f.Histogram("seconds", "time", []float64{1}).WithLabelValues("a").Observe(0.5)
	f.With("outcome").Counter("runs_total", "runs").WithLabelValues("a", "ok").Inc()
	got, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]int{}
	for _, mf := range got {
		labels[mf.GetName()] = len(mf.GetMetric()[0].GetLabel())
	}
	want := map[string]int{"x_sent_total": 1, "x_lag": 1, "x_seconds": 1, "x_runs_total": 2}
	for name, n := range want {
		if labels[name] != n {
			t.Errorf("gathered %v, want %s with %d labels", labels, name, n)
		}
	}
}
