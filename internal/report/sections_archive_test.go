package report

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/archivetest"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// simNow is the simulators' clock: a Monday, so the planted anomalies fall
// on Friday 2026-11-27, in week 2026-W48 and month 2026-11, and the backlog
// covers the four weeks before W48.
var simNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// world is an archive filled from simulated workspaces through a Kafka
// broker over TCP, the way forward SINK=postgres fills it: the events and
// alerts are produced to topics, read back, and archived with the real
// sink at the offsets they were read from.
type world struct {
	brokers, events, alerts string
	db                      *pgxpool.Pool // filled in the topics' order
	sims                    []*pigmentsim.Sim
}

// simBacklog returns a simulator with planted anomalies in shape, and its
// whole backlog as the API serves it.
func simBacklog(tb testing.TB, shape string, seed int64) (*pigmentsim.Sim, [][]byte) {
	tb.Helper()
	return archivetest.Backlog(tb, pigmentsim.Config{Seed: seed, Shape: shape, Anomalies: true,
		History: 40 * 24 * time.Hour, HistoryEvents: 9000, Clock: func() time.Time { return simNow }})
}

// plantedAlerts are alerts as detect writes them, one per planted anomaly,
// with its events as evidence.
func plantedAlerts(sim *pigmentsim.Sim, shape string) [][]byte {
	var out [][]byte
	for _, p := range sim.Planted() {
		sev := "high"
		if p.Kind == pigmentsim.AnomalyPrivilegeEscalation {
			sev = "critical"
		}
		ev, _ := json.Marshal(p.EventIDs)
		out = append(out, fmt.Appendf(nil, `{"id":"alert-%s-%s","rule":%q,"severity":%q,"title":"planted %s","actor":%q,`+
			`"actorEmail":%q,"window":{"start":%q,"end":%q},"count":%d,"evidence":%s}`,
			p.Kind, shape, p.Kind, sev, p.Kind, p.ActorID, p.ActorEmail,
			p.From.Format(time.RFC3339Nano), p.To.Format(time.RFC3339Nano), len(p.EventIDs), ev))
	}
	return out
}

// mustWorld archives two simulated workspaces, one in each vocabulary and
// envelope, with their planted alerts, and three dead letters of
// 2026-11-24.
func mustWorld(tb testing.TB) *world {
	tb.Helper()
	_, addr := testkit.MustKafka(tb)
	w := &world{brokers: addr, events: testkit.Name("events"), alerts: testkit.Name("alerts")}
	var events, alerts [][]byte
	for i, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		sim, evs := simBacklog(tb, shape, int64(41+i))
		w.sims = append(w.sims, sim)
		events = append(events, evs...)
		alerts = append(alerts, plantedAlerts(sim, shape)...)
	}
	produce(tb, addr, w.events, events)
	produce(tb, addr, w.alerts, alerts)
	w.db = w.archiveInto(tb, false)
	return w
}

// mustArchive returns a new archive database, the sink writing into it
// and a pool reading it in time zone tz (archivetest.MustArchive).
func mustArchive(tb testing.TB, tz string) (*sinks.Postgres, *pgxpool.Pool) {
	tb.Helper()
	return archivetest.MustArchive(tb, tz)
}

// archiveInto fills a new archive database with the records of the topics
// (in reverse order when reverse, and then read in a time zone far from
// UTC), and three dead letters of 2026-11-24.
func (w *world) archiveInto(tb testing.TB, reverse bool) *pgxpool.Pool {
	tb.Helper()
	tz := ""
	if reverse {
		tz = "Pacific/Chatham"
	}
	sink, db := mustArchive(tb, tz)
	events, alerts := testkit.ReadAll(tb, w.brokers, w.events), testkit.ReadAll(tb, w.brokers, w.alerts)
	if reverse {
		slices.Reverse(events)
		slices.Reverse(alerts)
	}
	archive(tb, sink, events, event.KindEvent)
	archive(tb, sink, alerts, event.KindAlert)
	day := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	if err := sink.CountDeadLetters(context.Background(), []sinks.DeadLetter{
		{Topic: "dlq", Offset: 1, Time: day, Stage: "extract", Reason: "missing eventId"},
		{Topic: "dlq", Offset: 2, Time: day, Stage: "extract", Reason: "missing eventId"},
		{Topic: "dlq", Offset: 3, Time: day.Add(time.Hour), Stage: "forward:postgres", Reason: "invalid record: not JSON"},
	}); err != nil {
		tb.Fatal(err)
	}
	return db
}

// produce writes records to topic, keyed by their eventId or id.
func produce(tb testing.TB, addr, topic string, records [][]byte) {
	tb.Helper()
	archivetest.Produce(tb, addr, topic, records)
}

// archive sends the records read from Kafka to the archive sink, as
// forward does, in batches.
func archive(tb testing.TB, sink *sinks.Postgres, msgs []kafka.Message, kind event.Kind) {
	tb.Helper()
	archivetest.Archive(tb, sink, msgs, kind)
}

// section returns the section of sections with id.
func section(tb testing.TB, sections []Section, id string) Section {
	tb.Helper()
	i := slices.IndexFunc(sections, func(s Section) bool { return s.ID == id })
	if i < 0 {
		tb.Fatalf("no section %q", id)
	}
	return sections[i]
}

// table returns the table with id among sections.
func table(tb testing.TB, sections []Section, id string) Table {
	tb.Helper()
	for _, s := range sections {
		for _, t := range s.Tables {
			if t.ID == id {
				return t
			}
		}
	}
	tb.Fatalf("no table %q", id)
	return Table{}
}

// rowsWith returns the rows of t whose column col is v.
func rowsWith(t Table, col int, v string) [][]string {
	var out [][]string
	for _, r := range t.Rows {
		if r[col] == v {
			out = append(out, r)
		}
	}
	return out
}
