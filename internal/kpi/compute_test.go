package kpi

import (
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name          string
		value, target *float64
		cmp           comparison
		want          Status
	}{
		{"no value", nil, ptr(0.05), below, NotAvailable},
		{"no target", ptr(3), nil, atMost, NoTarget},
		{"below", ptr(0.049), ptr(0.05), below, OK},
		{"at a below target", ptr(0.05), ptr(0.05), below, Breached},
		{"at an at-most target", ptr(0), ptr(0), atMost, OK},
		{"past an at-most target", ptr(1), ptr(0), atMost, Breached},
	} {
		if got := judge(tc.value, tc.target, tc.cmp); got != tc.want {
			t.Errorf("%s: judge = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestInventoryNotAvailable(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	th := DefaultThresholds()
	for _, v := range inventoryValues(InventorySummary{SnapshotID: 4, LargeApplications: 2}, false, day, th) {
		if v.Value != nil || v.Status != NotAvailable || v.Source != "" {
			t.Errorf("%s without a snapshot = %v (%s, %q), want not available", v.KPI, *v.Value, v.Status, v.Source)
		}
	}
	got := inventoryValues(InventorySummary{SnapshotID: 4}, true, day, th)
	if got[0].KPI != AvgDimensions || got[0].Value != nil || got[0].Status != NotAvailable {
		t.Errorf("avg dimensions of a snapshot without dimensions = %+v, want not available, never 0", got[0])
	}
	if got[1].Value == nil || *got[1].Value != 0 || got[1].Status != OK || got[1].Source != "inventory snapshot 4" {
		t.Errorf("large applications of a snapshot with none = %+v, want 0, ok", got[1])
	}
}

// TestEventValuesBaseline checks the week's volume against the previous
// weeks the source holds, and the trend against the previous days.
func TestEventValuesBaseline(t *testing.T) {
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	var h history
	for d := day.AddDate(0, 0, -historyDays); !d.After(day); d = d.AddDate(0, 0, 1) {
		c := DayCounts{Day: d}
		if d.After(day.AddDate(0, 0, -14)) { // the source holds the last two weeks only
			c.Events, c.Changes, c.ActiveMembers = 10, 2, 4
		}
		if d.Equal(day) {
			c.Changes, c.ActiveMembers = 10, 6
		}
		h = append(h, c)
	}
	values := eventValues(h, day, DefaultThresholds(), "archive")
	byKPI := map[string]Value{}
	for _, v := range values {
		byKPI[v.KPI] = v
	}
	w := byKPI[WeeklyChanges]
	if *w.Value != 22 || *w.Target != 14*1.2 || w.Status != Breached {
		t.Errorf("weekly changes = %g against %g (%s), want 22 against 16.8 (breached)", *w.Value, *w.Target, w.Status)
	}
	if tr := byKPI[ActiveMembersTrend]; *tr.Value != 0.5 || tr.Status != NoTarget {
		t.Errorf("trend = %g (%s), want 0.5 (no target)", *tr.Value, tr.Status)
	}
	if f := byKPI[FailedLoginShare]; f.Value != nil || f.Status != NotAvailable {
		t.Errorf("failed-login share without attempts = %+v, want not available", f)
	}
}
