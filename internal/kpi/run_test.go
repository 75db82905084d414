package kpi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// testTopicAgrees counts the days of the whole history from the topic and
// from the archive, and computes the week's KPIs from each.
func testTopicAgrees(t *testing.T, w *world) {
	from, to := time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	fromArchive, err := kpi.ArchiveSource{DB: w.db}.Counts(t.Context(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	fromTopic, err := w.topicSource().Counts(t.Context(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromTopic) != len(fromArchive) || len(fromArchive) != int(to.Sub(from)/(24*time.Hour)) {
		t.Fatalf("days: topic %d, archive %d, want %d", len(fromTopic), len(fromArchive), int(to.Sub(from)/(24*time.Hour)))
	}
	var events int64
	for i := range fromArchive {
		if fromTopic[i] != fromArchive[i] {
			t.Errorf("day %s: topic counts %+v, archive %+v", fromArchive[i].Day.Format(time.DateOnly), fromTopic[i], fromArchive[i])
		}
		events += fromArchive[i].Events
	}
	if events < 10000 {
		t.Errorf("%d events counted: the agreement proves little", events)
	}
	inv := snapshot(1, ptr(5.5), 0, 2)
	ra, _ := w.runner(t, kpi.ArchiveSource{DB: w.db}, inv, kpi.DefaultThresholds(), nil)
	rt, _ := w.runner(t, w.topicSource(), inv, kpi.DefaultThresholds(), nil)
	a, err := ra.Run(t.Context(), week...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rt.Run(t.Context(), week...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Values {
		x, y := a.Values[i], b.Values[i]
		if x.KPI != y.KPI || !x.Day.Equal(y.Day) || deref(x.Value) != deref(y.Value) || x.Status != y.Status {
			t.Errorf("archive %s %s = %v (%s), topic %s %s = %v (%s)", x.Day.Format(time.DateOnly), x.KPI, deref(x.Value), x.Status,
				y.Day.Format(time.DateOnly), y.KPI, deref(y.Value), y.Status)
		}
	}
	if y := b.Values[0]; y.Source != "topic" {
		t.Errorf("source of a KPI from the topic = %q, want topic", y.Source)
	}
}

// testAlertsOnce runs the week twice with low thresholds: the first run
// alerts once per day and KPI past its target, the second alerts nothing.
func testAlertsOnce(t *testing.T, w *world) {
	th := kpi.DefaultThresholds()
	th.DailyChanges, th.DailySecurityEvents = 60, 5
	r, topic := w.runner(t, kpi.ArchiveSource{DB: w.db}, snapshot(2, ptr(6.2), 1, 0), th, nil)
	first, err := r.Run(t.Context(), week...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	rules := map[string]bool{}
	for _, v := range first.Values {
		if v.Status == kpi.Breached {
			rule := kpi.RuleTarget
			switch v.KPI {
			case kpi.DailyChanges:
				rule = kpi.RuleDailyChanges
			case kpi.DailySecurityEvents:
				rule = kpi.RuleSecurityEvents
			}
			want[kpi.AlertID(rule, v.KPI, v.Day)] = true
			rules[rule] = true
		}
	}
	if len(rules) != 3 {
		t.Errorf("rules alerted %v: want the three (thresholds too high for the history?)", rules)
	}
	ids := alertIDs(t, w.brokers, topic)
	if first.Alerts != len(want) || len(ids) != len(want) {
		t.Errorf("first run: %d alerts produced, %d on the topic, want %d", first.Alerts, len(ids), len(want))
	}
	for _, id := range ids {
		if !want[id] {
			t.Errorf("alert %s on the topic is not one of a KPI past its target", id)
		}
	}
	second, err := r.Run(t.Context(), week...)
	if err != nil {
		t.Fatal(err)
	}
	if again := alertIDs(t, w.brokers, topic); second.Alerts != 0 || len(again) != len(ids) {
		t.Errorf("rerun: %d alerts produced, topic holds %d, want 0 and still %d", second.Alerts, len(again), len(ids))
	}
	slices.Sort(ids)
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("alert ids repeat on the topic")
	}
}

// testGaugesMove shows the latest day as gauges, and moves them when a new
// snapshot or a later day changes the KPIs; an older day leaves them.
func testGaugesMove(t *testing.T, w *world) {
	reg := prometheus.NewRegistry()
	avg := 0.0
	inv := func(time.Time) (kpi.InventorySummary, bool) {
		return kpi.InventorySummary{SnapshotID: 3, AvgDimensions: &avg}, true
	}
	r, _ := w.runner(t, kpi.ArchiveSource{DB: w.db}, inventory(inv), kpi.DefaultThresholds(), reg)
	members := map[string]float64{}
	for _, step := range []struct {
		day          time.Time
		avg, wantAvg float64
		wantBreached float64
		membersOfDay string
	}{
		{week[2], 4.5, 4.5, 0, "wed"},
		{week[3], 7.25, 7.25, 1, "thu"},
		{week[2], 3, 7.25, 1, "thu"}, // an older day: the gauges stay
	} {
		avg = step.avg
		if _, err := r.Run(t.Context(), step.day); err != nil {
			t.Fatal(err)
		}
		day := step.day.Format(time.DateOnly)
		if got := gaugeValue(t, reg, "pigment_kpi_value", kpi.AvgDimensions); got != step.wantAvg {
			t.Errorf("after %s at %g: pigment_kpi_value{avg dimensions} = %g, want %g", day, avg, got, step.wantAvg)
		}
		if got := gaugeValue(t, reg, "pigment_kpi_target_breached", kpi.AvgDimensions); got != step.wantBreached {
			t.Errorf("after %s at %g: breached{avg dimensions} = %g, want %g", day, avg, got, step.wantBreached)
		}
		got := gaugeValue(t, reg, "pigment_kpi_value", kpi.ActiveMembers)
		if m, ok := members[step.membersOfDay]; ok && got != m {
			t.Errorf("after %s: active members = %g, want %s's %g", day, got, step.membersOfDay, m)
		}
		members[step.membersOfDay] = got
	}
	if members["wed"] == members["thu"] {
		t.Errorf("active members on Wednesday and Thursday both %g: the gauges' move proves little", members["wed"])
	}
}

// gaugeValue returns the value of gauge name with label kpi k.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, k string) float64 {
	t.Helper()
	m, ok := testkit.Series(t, reg, name, k)
	if !ok {
		t.Fatalf("no series %s{kpi=%q}", name, k)
	}
	return m.GetGauge().GetValue()
}

func ptr(v float64) *float64 { return &v }

// TestWorld runs the tests that share one world: a broker, a topic and an
// archive filled from two simulated workspaces.
func TestWorld(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	t.Run("topic agrees with archive", func(t *testing.T) { t.Parallel(); testTopicAgrees(t, w) })
	t.Run("alerts once per day and KPI", func(t *testing.T) { t.Parallel(); testAlertsOnce(t, w) })
	t.Run("gauges move", func(t *testing.T) { t.Parallel(); testGaugesMove(t, w) })
	t.Run("source selected", func(t *testing.T) { t.Parallel(); testSelectSource(t, w) })
	t.Run("daily records once", func(t *testing.T) { t.Parallel(); testDailyOnce(t, w) })
}

// testSelectSource reads the archive when it holds events, else the topic.
func testSelectSource(t *testing.T, w *world) {
	src, err := kpi.SelectSource(t.Context(), w.db, w.topicSource())
	if err != nil || src.Name() != "archive" {
		t.Errorf("source with an archive = %v, %v; want the archive", src, err)
	}
	_, empty := archivetest.MustArchive(t, "")
	src, err = kpi.SelectSource(t.Context(), empty, w.topicSource())
	if err != nil || src.Name() != "topic" {
		t.Errorf("source with an empty archive = %v, %v; want the topic", src, err)
	}
}
