package testkit

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Series returns the series of family name in g whose one label has the
// value value (sink "fake", kpi "coverage"), and false when g has none: the
// tests read a gauge or a histogram straight from a program's registry,
// without scraping /metrics. A failing Gather fails the test.
func Series(tb testing.TB, g prometheus.Gatherer, name, value string) (*dto.Metric, bool) {
	tb.Helper()
	families, err := g.Gather()
	if err != nil {
		tb.Fatalf("gather metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == value {
				return m, true
			}
		}
	}
	return nil, false
}
