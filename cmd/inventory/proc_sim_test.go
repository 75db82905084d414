package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// simStart is the simulator's start: its workspace as at simStart, and
// its first structural change an hour later.
var simStart = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

// simStack is the simulator (in this process, over HTTP, on a manual
// clock unless cfg has one) with a broker and a database, and the
// inventory's environment on them. wrap, when set, serves the simulator's
// handler (to watch its requests).
type simStack struct {
	sim    *pigmentsim.Sim
	clock  *pigmentsim.ManualClock
	stack  *testkit.Stack
	alerts string
}

func newSimStack(t *testing.T, cfg pigmentsim.Config, wrap func(http.Handler) http.Handler) *simStack {
	t.Helper()
	clock := pigmentsim.NewManualClock(simStart)
	if cfg.Clock == nil {
		cfg.Clock = clock.Now
	}
	cfg.Seed, cfg.APIKey, cfg.MetadataAPIKey = 1, "audit-key", "metadata-key"
	cfg.MetadataChangeEvery = time.Hour
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := sim.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	return &simStack{sim: sim, clock: clock, stack: testkit.NewStack(t, h, cfg.APIKey), alerts: testkit.Name("alerts")}
}

// env is the inventory's environment on s, with overrides.
func (s *simStack) env(overrides map[string]string) testkit.Env {
	return testkit.Env{
		"PIGMENT_API_URL":          s.stack.APIURL,
		"PIGMENT_METADATA_API_KEY": "metadata-key",
		"PIGMENT_RATE_LIMIT":       "off",
		"KAFKA_BROKERS":            s.stack.Brokers,
		"KAFKA_TOPIC":              s.stack.Topic,
		"KAFKA_ALERTS_TOPIC":       s.alerts,
		"DATABASE_URL":             s.stack.DBURL,
		"LOG_LEVEL":                "warn",
	}.With(overrides)
}

// snapshotCounts are a saved snapshot's counts, or the simulator's.
type snapshotCounts struct{ Applications, Blocks, Imports, Views int }

func simCounts(apps []pigmentsim.MetadataApplication) snapshotCounts {
	c := snapshotCounts{Applications: len(apps)}
	for _, a := range apps {
		c.Blocks += len(a.Blocks)
		for _, b := range a.Blocks {
			c.Imports += len(b.ImportConfigurations)
			c.Views += len(b.Views)
		}
	}
	return c
}

// TestSnapshotOfTheSimulator: in both shapes, `inventory once` saves
// exactly the simulator's workspace (applications, blocks, import
// configurations, views; dimensions only in the described shape); a second
// run without change alerts nothing new; after the simulator renamed a
// block its imports use, the diff is exactly that rename and one alert,
// the drift, is written (counted with kcat).
func TestSnapshotOfTheSimulator(t *testing.T) {
	t.Parallel()
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			s := newSimStack(t, pigmentsim.Config{Shape: shape}, nil)
			env := s.env(nil)
			testkit.MustRun(t, inventoryBin, env, "once")
			var got snapshotCounts
			var avg *float64
			if err := testkit.QueryRow(t, s.stack.DBURL, `SELECT applications, blocks, import_configurations, views, avg_dimensions
				FROM inventory_snapshots ORDER BY id DESC LIMIT 1`, &got.Applications, &got.Blocks, &got.Imports, &got.Views, &avg); err != nil {
				t.Fatal(err)
			}
			if want := simCounts(s.sim.Metadata(s.clock.Now())); got != want || want.Applications < 50 {
				t.Errorf("snapshot counts = %+v, want the simulator's %+v", got, want)
			}
			if (avg != nil) != (shape == pigmentsim.ShapeDescribed) {
				t.Errorf("average dimensions = %v in the %s shape, want a value only when blocks carry dimensions", avg, shape)
			}
			before := alertRules(testkit.Kcat(t, s.stack.Brokers, s.alerts))
			first := len(before)
			if first == 0 {
				t.Fatal("the first snapshot alerted nothing; want its findings")
			}

			out := testkit.MustRun(t, inventoryBin, env, "once")
			if n := len(testkit.Kcat(t, s.stack.Brokers, s.alerts)); n != first {
				t.Errorf("a second run without change wrote %d alerts, want none; stdout:\n%s", n-first, out)
			}

			s.clock.Add(time.Hour) // the simulator's first change: a rename
			changes := s.sim.MetadataChanges(s.clock.Now())
			if len(changes) != 1 || changes[0].Kind != pigmentsim.ChangeRenamed {
				t.Fatalf("simulator changes = %+v, want one rename", changes)
			}
			testkit.MustRun(t, inventoryBin, env, "once")
			var diff struct{ Changes []inventory.Change }
			if err := json.Unmarshal([]byte(testkit.MustRun(t, inventoryBin, env, "diff", "--json")), &diff); err != nil {
				t.Fatal(err)
			}
			c := changes[0]
			if len(diff.Changes) != 1 || diff.Changes[0].Kind != inventory.Renamed || diff.Changes[0].Application != c.ApplicationID ||
				!slices.Equal([]string{diff.Changes[0].ID}, c.BlockIDs) || diff.Changes[0].Name != c.NewName || diff.Changes[0].OldName != c.OldName {
				t.Errorf("diff = %+v, want exactly the simulator's rename %+v", diff.Changes, c)
			}
			var added []string
			for id, rule := range alertRules(testkit.Kcat(t, s.stack.Brokers, s.alerts)) {
				if _, ok := before[id]; !ok {
					added = append(added, rule)
				}
			}
			if !slices.Equal(added, []string{inventory.RuleDrift}) {
				t.Errorf("the rename wrote alerts %v, want exactly one %s", added, inventory.RuleDrift)
			}
		})
	}
}

// alertRules are the rules of recs by alert ID.
func alertRules(recs []testkit.KcatRecord) map[string]string {
	m := make(map[string]string, len(recs))
	for _, r := range recs {
		m[r.Header(record.HeaderAlertID)] = r.Header(record.HeaderRule)
	}
	return m
}
