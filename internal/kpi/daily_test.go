package kpi_test

import (
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// testDailyOnce computes two ended days and the open one: the first run
// sends one kpi-daily record per KPI of each ended day (none for the open
// day, whose values move with each snapshot), carrying the KPI, value,
// target and status the SIEMs' dashboards read; a rerun sends none.
func testDailyOnce(t *testing.T, w *world) {
	r, topic := w.runner(t, kpi.ArchiveSource{DB: w.db}, snapshot(4, ptr(5.5), 1, 3), kpi.DefaultThresholds(), nil)
	ended := week[5:7]
	first, err := r.Run(t.Context(), ended[0], ended[1], simNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(ended) * len(kpi.Names); first.Daily != want {
		t.Errorf("first run: %d daily records produced, want %d (every KPI of the %d ended days)", first.Daily, want, len(ended))
	}
	records := map[string]topicAlert{}
	for _, a := range topicAlerts(t, w.brokers, topic) {
		if a.Rule != kpi.RuleDaily {
			continue
		}
		if a.Severity != "info" || a.ID != kpi.AlertID(kpi.RuleDaily, a.KPI, a.Window.Start) {
			t.Errorf("daily record %+v: want severity info and the id of rule, KPI and day", a)
		}
		key := a.Window.Start.Format(time.DateOnly) + " " + a.KPI
		if _, dup := records[key]; dup {
			t.Errorf("daily record of %s sent twice", key)
		}
		records[key] = a
	}
	if len(records) != first.Daily {
		t.Errorf("topic holds %d daily records, run produced %d", len(records), first.Daily)
	}
	for _, day := range ended {
		for _, k := range kpi.Names {
			want := value(t, first.Values, day, k)
			got, ok := records[day.Format(time.DateOnly)+" "+k]
			if !ok {
				t.Errorf("no daily record of %s %s", day.Format(time.DateOnly), k)
				continue
			}
			if got.Status != string(want.Status) || !sameValue(got.Value, want.Value) || !sameValue(got.Target, want.Target) {
				t.Errorf("daily record of %s %s: status %q value %v target %v, want %q %v %v", day.Format(time.DateOnly), k,
					got.Status, deref(got.Value), deref(got.Target), want.Status, deref(want.Value), deref(want.Target))
			}
			if _, ok := got.fields["kpi"]; !ok {
				t.Errorf("daily record of %s %s has no kpi field", day.Format(time.DateOnly), k)
			}
		}
	}
	for k, status := range map[string]kpi.Status{kpi.AvgDimensions: kpi.OK, kpi.LargeApplications: kpi.Breached, kpi.NamingViolations: kpi.Breached} {
		if got := records[ended[1].Format(time.DateOnly)+" "+k]; got.Status != string(status) || got.Value == nil {
			t.Errorf("daily record of %s = status %q value %v, want %q with the snapshot's value", k, got.Status, deref(got.Value), status)
		}
	}
	second, err := r.Run(t.Context(), ended[0], ended[1], simNow)
	if err != nil {
		t.Fatal(err)
	}
	if again := len(topicAlerts(t, w.brokers, topic)); second.Daily != 0 || second.Alerts != 0 || again != first.Daily+first.Alerts {
		t.Errorf("rerun: %d daily records and %d alerts produced, topic holds %d, want 0, 0 and still %d",
			second.Daily, second.Alerts, again, first.Daily+first.Alerts)
	}
}

// sameValue says whether two optional values are both absent or equal.
func sameValue(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
