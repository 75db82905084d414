package kpi_test

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/kpi/kpitest"
)

// TestKPIsEqualKcat computes the KPIs of week 2026-W48 from the archive and
// checks each against the test's own count of the topic, read with kcat.
func TestKPIsEqualKcat(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	r, _ := w.runner(t, kpi.ArchiveSource{DB: w.db}, snapshot(7, nil, 3, 0), kpi.DefaultThresholds(), nil)
	res, err := r.Run(t.Context(), week...)
	if err != nil {
		t.Fatal(err)
	}
	evs := kpitest.Events(t, w.brokers, w.events)
	logins := kpitest.Check(t, res.Values, evs, week)
	for _, day := range week {
		if v := value(t, res.Values, day, kpi.AvgDimensions); v.Value != nil || v.Status != kpi.NotAvailable {
			t.Errorf("avg dimensions without dimensions = %v (%s), want not available", deref(v.Value), v.Status)
		}
		if v := value(t, res.Values, day, kpi.LargeApplications); !kpitest.Near(v.Value, 3) || v.Status != kpi.Breached ||
			v.Source != "inventory snapshot 7" {
			t.Errorf("large applications = %v (%s, %s), want 3 (breached, inventory snapshot 7)", deref(v.Value), v.Status, v.Source)
		}
	}
	if logins == 0 {
		t.Errorf("the week holds no login: the counts prove little")
	}
}

func deref(v *float64) any { return kpitest.Deref(v) }
