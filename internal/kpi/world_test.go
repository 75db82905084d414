package kpi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/kpi/kpitest"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// simNow is the simulators' clock: a Monday, so the planted anomalies fall
// in week 2026-W48 and the backlog covers the four weeks before it.
var simNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// week are the days of 2026-W48, the week the tests compute.
var week = func() []time.Time {
	var days []time.Time
	for d := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC); d.Before(simNow); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return days[:7]
}()

// world is the events topic of two simulated workspaces (one in each
// vocabulary and envelope, some events twice, as extract's at-least-once
// may write them) on a broker over TCP, and the archive filled from it.
type world struct {
	brokers, events string
	db              *pgxpool.Pool
}

func mustWorld(tb testing.TB) *world {
	tb.Helper()
	_, addr := testkit.MustKafka(tb)
	w := &world{brokers: addr, events: testkit.Name("events")}
	var events [][]byte
	for i, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		_, evs := archivetest.Backlog(tb, pigmentsim.Config{Seed: int64(61 + i), Shape: shape, Anomalies: true,
			History: 40 * 24 * time.Hour, HistoryEvents: 6000, Clock: func() time.Time { return simNow }})
		events = append(events, evs...)
	}
	events = append(events, events[:40]...)
	archivetest.Produce(tb, addr, w.events, events)
	sink, db := archivetest.MustArchive(tb, "")
	archivetest.Archive(tb, sink, testkit.ReadAll(tb, addr, w.events), event.KindEvent)
	w.db = db
	return w
}

func (w *world) topicSource() kpi.TopicSource {
	return kpi.TopicSource{Brokers: []string{w.brokers}, Topic: w.events}
}

// inventory is a fake InventorySource: a function of the time asked.
type inventory func(t time.Time) (kpi.InventorySummary, bool)

func (f inventory) LatestSummary(_ context.Context, t time.Time) (kpi.InventorySummary, bool, error) {
	s, ok := f(t)
	return s, ok, nil
}

// snapshot is a summary with avg dimensions, large applications and naming
// violations.
func snapshot(id int64, avg *float64, large, naming int) inventory {
	return func(time.Time) (kpi.InventorySummary, bool) {
		return kpi.InventorySummary{SnapshotID: id, TakenAt: simNow, Applications: 60, Blocks: 4000, Metrics: 1500,
			AvgDimensions: avg, LargeApplications: large, NamingViolations: naming}, true
	}
}

// runner returns a Runner over src and inv keeping its KPIs and alerts in
// a database of its own and writing alerts to a new topic of w's broker,
// and that topic.
func (w *world) runner(tb testing.TB, src kpi.EventSource, inv kpi.InventorySource, th kpi.Thresholds,
	reg prometheus.Registerer) (*kpi.Runner, string) {
	tb.Helper()
	pub, err := publish.New(publish.Config{Brokers: []string{w.brokers}, Transport: testkit.Transport(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { pub.Close() })
	_, db := archivetest.MustArchive(tb, "")
	topic := testkit.Name("alerts")
	cfg := kpi.Config{Events: src, Inventory: inv, Store: kpi.NewStore(db), Alerts: pub, AlertsTopic: topic, Thresholds: th,
		Now: func() time.Time { return simNow }}
	if reg != nil {
		cfg.Metrics = kpi.NewMetrics(reg)
	}
	r, err := kpi.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return r, topic
}

// value returns the value of k on day among values.
func value(tb testing.TB, values []kpi.Value, day time.Time, k string) kpi.Value {
	tb.Helper()
	return kpitest.Value(tb, values, day, k)
}

// topicAlert is an alert of the topic, with the KPI fields of internal/kpi's.
type topicAlert struct {
	ID, Rule, Severity, KPI, Status string
	Value, Target                   *float64
	Window                          struct{ Start time.Time }
	fields                          map[string]json.RawMessage
}

// topicAlerts reads the alerts in topic with kcat, checking that their
// headers repeat their id, rule and severity.
func topicAlerts(tb testing.TB, brokers, topic string) []topicAlert {
	tb.Helper()
	var out []topicAlert
	for _, r := range testkit.Kcat(tb, brokers, topic) {
		var a topicAlert
		if r.Payload == nil || json.Unmarshal([]byte(*r.Payload), &a) != nil || json.Unmarshal([]byte(*r.Payload), &a.fields) != nil {
			tb.Fatalf("alert %d/%d is not JSON", r.Partition, r.Offset)
		}
		if r.Header("alertId") != a.ID || r.Header("rule") != a.Rule || r.Header("severity") != a.Severity {
			tb.Errorf("alert %s: headers %v do not repeat its id, rule and severity", a.ID, r.Headers)
		}
		if p := r.Header(record.HeaderProducer); p != record.ProducerInventory {
			tb.Errorf("alert %s: producer %q, want %q (the KPIs are the inventory's)", a.ID, p, record.ProducerInventory)
		}
		out = append(out, a)
	}
	return out
}

// alertIDs reads the ids of the threshold alerts in topic (not the daily
// records) with kcat, and checks their rule and severity headers.
func alertIDs(tb testing.TB, brokers, topic string) []string {
	tb.Helper()
	var ids []string
	for _, a := range topicAlerts(tb, brokers, topic) {
		if a.Rule != kpi.RuleDaily {
			ids = append(ids, a.ID)
		}
	}
	return ids
}
