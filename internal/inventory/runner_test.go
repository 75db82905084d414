package inventory_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestSnapshotCountsEqualTheWorkspace: what is saved, and the summary,
// count what the workspace holds.
func TestSnapshotCountsEqualTheWorkspace(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	res := fx.once(t)
	apps, blocks, metrics, imports, views := fx.ws.Counts()
	got, ok, err := fx.store.LatestSummary(t.Context(), *fx.clock)
	if err != nil || !ok {
		t.Fatalf("LatestSummary = %v, %v", ok, err)
	}
	if got.SnapshotID != res.Summary.SnapshotID || got.Applications != apps || got.Blocks != blocks || got.Metrics != metrics ||
		got.AvgDimensions == nil || *got.AvgDimensions != 4 || got.LargeApplications != 1 || got.NamingViolations != 3 {
		t.Errorf("LatestSummary = %+v; want %d applications, %d blocks, %d metrics, 4 dimensions on average, 1 large, 3 violations",
			got, apps, blocks, metrics)
	}
	for table, want := range map[string]int{"inventory_applications": apps, "inventory_blocks": blocks,
		"inventory_import_configurations": imports, "inventory_views": views} {
		var n int
		if err := testkit.QueryRow(t, fx.dbURL, "SELECT count(*) FROM "+table, &n); err != nil || n != want {
			t.Errorf("%s holds %d rows (%v), want %d", table, n, err, want)
		}
	}
	if n := fx.ws.Requests(); n != 1+apps+2*blocks {
		t.Errorf("the snapshot made %d requests, want 1 + applications + 2 x blocks = %d", n, 1+apps+2*blocks)
	}
	var unknown int
	if err := testkit.QueryRow(t, fx.dbURL, "SELECT count(*) FROM inventory_blocks WHERE dimensions IS NULL", &unknown); err != nil || unknown != 201+1 {
		t.Errorf("blocks with dimensions not available = %d (%v), want the 201 tables and the one metric", unknown, err)
	}
	if _, ok, _ := fx.store.LatestSummary(t.Context(), fx.clock.Add(-1)); ok {
		t.Errorf("LatestSummary before the first snapshot is ok, want none")
	}
}

// TestDiffAfterARenameIsThatRename: renaming one block gives exactly one
// change, that rename.
func TestDiffAfterARenameIsThatRename(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	first := fx.once(t)
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		inventorytest.Block(apps, "app-rev", "b-plan").Name = "Revenue_Budget"
		return apps
	})
	second := fx.once(t)
	a, err := fx.store.Load(t.Context(), first.Summary.SnapshotID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fx.store.Load(t.Context(), second.Summary.SnapshotID)
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.Change{{Kind: inventory.Renamed, Object: inventory.ObjectBlock, Application: "app-rev",
		ApplicationName: "Revenue Planning", ID: "b-plan", Name: "Revenue_Budget", OldName: "Revenue_Plan", Type: "Metric"}}
	if got := inventory.Compare(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Compare(first, second) = %+v, want %+v", got, want)
	}
	if !reflect.DeepEqual(second.Changes, want) {
		t.Errorf("the second run's changes = %+v, want %+v", second.Changes, want)
	}
}

// TestAlertsOncePerEpisode: a finding that persists is not alerted again;
// a rename of a block imports use is exactly one alert; a finding fixed
// and back is a new alert with a new ID.
func TestAlertsOncePerEpisode(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	fx.once(t)
	first := testkit.ReadAll(t, fx.addr, fx.topic)
	if len(first) != 5 {
		t.Fatalf("first snapshot wrote %d alerts, want 5 (3 names, 1 complex metric, 1 large application)", len(first))
	}
	for _, m := range first {
		var a struct{ ID, Rule string }
		if err := json.Unmarshal(m.Value, &a); err != nil || a.ID != record.Header(m, record.HeaderAlertID) ||
			a.Rule != record.Header(m, record.HeaderRule) || record.Header(m, record.HeaderProducer) != record.ProducerInventory {
			t.Errorf("alert record %s: %v; want its id and rule in the headers, producer %s", m.Value, err, record.ProducerInventory)
		}
	}
	fx.once(t)
	if n := len(testkit.ReadAll(t, fx.addr, fx.topic)); n != 5 {
		t.Errorf("after a second snapshot with no change, %d alerts; want still 5", n)
	}
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		inventorytest.Block(apps, "app-rev", "b-actuals").Name = "Revenue_Booked" // two imports use it
		return apps
	})
	fx.once(t)
	all := testkit.ReadAll(t, fx.addr, fx.topic)
	if len(all) != 6 || rules(all)[inventory.RuleDrift] != 1 {
		t.Errorf("after a rename of a block imports use, %d alerts (%v); want 6, one %s", len(all), rules(all), inventory.RuleDrift)
	}
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		inventorytest.Block(apps, "app-sb", "s-1").Name = "My_Metric" // fixed
		return apps
	})
	fx.once(t)
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		inventorytest.Block(apps, "app-sb", "s-1").Name = "my metric" // and back
		return apps
	})
	fx.once(t)
	all = testkit.ReadAll(t, fx.addr, fx.topic)
	ids, repeats := testkit.HeaderSet(all, record.HeaderAlertID)
	if len(all) != 7 || repeats != 0 || rules(all)[inventory.RuleNaming] != 4 {
		t.Errorf("after a naming violation fixed and back, %d alerts, %d repeated ids (%v); want 7, all distinct, 4 %s",
			len(all), repeats, ids, inventory.RuleNaming)
	}
}

// rules counts alert records by rule.
func rules(msgs []kafka.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[record.Header(m, record.HeaderRule)]++
	}
	return out
}

// TestRepeatedIDsAreOneThing: an answer listing a block twice is saved
// once, instead of failing every snapshot on the primary key.
func TestRepeatedIDsAreOneThing(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		apps[0].Blocks = append(apps[0].Blocks, apps[0].Blocks[0])
		return apps
	})
	if res := fx.once(t); res.Summary.Blocks != 208 {
		t.Errorf("a block listed twice: %d blocks, want 208", res.Summary.Blocks)
	}
}

// TestAverageDimensionsNotAvailable: when no metric carries its
// dimensions (Pigment's OpenAPI shape), the average is not available
// (NULL, nil), never 0.
func TestAverageDimensionsNotAvailable(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		for i := range apps {
			for j := range apps[i].Blocks {
				apps[i].Blocks[j].Dimensions, apps[i].Blocks[j].HasDimensions = nil, false
			}
		}
		return apps
	})
	res := fx.once(t)
	got, ok, err := fx.store.LatestSummary(t.Context(), res.Summary.TakenAt)
	if err != nil || !ok || got.AvgDimensions != nil || res.Summary.AvgDimensions != nil || got.Metrics != 5 {
		t.Errorf("LatestSummary = %+v, %v, %v; want 5 metrics and no average", got, ok, err)
	}
	var complexMetrics int
	for _, f := range res.Findings {
		if f.Rule == inventory.RuleComplexMetric {
			complexMetrics++
		}
	}
	if complexMetrics != 0 {
		t.Errorf("%d complex metrics without dimensions, want 0", complexMetrics)
	}
}

// TestPruneKeepsTheNewest: snapshots older than the retention go with
// their rows, but the newest one stays, whatever its age.
func TestPruneKeepsTheNewest(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	fx.once(t)
	fx.once(t)
	last := fx.once(t)
	n, err := fx.store.Prune(t.Context(), last.Summary.TakenAt.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune after every snapshot = %d, %v; want the 2 older ones", n, err)
	}
	var blocks int
	if err := testkit.QueryRow(t, fx.dbURL, "SELECT count(DISTINCT snapshot_id) FROM inventory_blocks", &blocks); err != nil || blocks != 1 {
		t.Errorf("blocks of %d snapshots left (%v), want the newest's only", blocks, err)
	}
	if id, ok, _ := fx.store.LatestID(t.Context()); !ok || id != last.Summary.SnapshotID {
		t.Errorf("LatestID after Prune = %d, %v; want %d", id, ok, last.Summary.SnapshotID)
	}
}

// TestLargeApplicationWarningIsANewAlert: an application growing past the
// warning threshold is alerted again, at the warning severity.
func TestLargeApplicationWarningIsANewAlert(t *testing.T) {
	t.Parallel()
	fx := mustFixture(t)
	fx.once(t)
	fx.ws.Edit(func(apps []inventory.Application) []inventory.Application {
		for i := range 100 {
			b := apps[1].Blocks[0]
			b.ID, b.Name = fmt.Sprintf("more-%d", i), fmt.Sprintf("More %d", i)
			apps[1].Blocks = append(apps[1].Blocks, b)
		}
		return apps
	})
	fx.once(t)
	fx.once(t)
	var severities []string
	for _, m := range testkit.ReadAll(t, fx.addr, fx.topic) {
		if record.Header(m, record.HeaderRule) == inventory.RuleLargeApplication {
			severities = append(severities, record.Header(m, record.HeaderSeverity))
		}
	}
	slices.Sort(severities)
	if !slices.Equal(severities, []string{"low", "medium"}) {
		t.Errorf("large-application alerts by severity = %v, want one low (201 blocks) and one medium (301)", severities)
	}
}
