package report

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestSectionsFromArchive builds the weekly check of 2026-W48 and the
// monthly audit of 2026-11 from an archive of two simulated workspaces (one
// per vocabulary) with planted anomalies, and checks them against the
// simulators' ground truth and against an independent count of the topics
// with kcat.
func TestSectionsFromArchive(t *testing.T) {
	t.Parallel()
	w := mustWorld(t)
	ctx := context.Background()
	week, _ := ParseWeek("2026-W48")
	month, _ := ParseMonth("2026-11")
	weekly, err := WeeklySections(ctx, w.db, week)
	if err != nil {
		t.Fatal(err)
	}
	monthly, err := MonthlySections(ctx, w.db, month)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("planted", func(t *testing.T) { checkPlanted(t, w, weekly, monthly) })
	t.Run("kcat counts weekly", func(t *testing.T) { checkWeeklyCounts(t, w, week, weekly) })
	t.Run("kcat counts monthly", func(t *testing.T) { checkMonthlyCounts(t, w, month, monthly) })
	t.Run("reproducible", func(t *testing.T) {
		// Another archive of the same records, written in reverse order
		// (and later), read in another time zone, gives the same sections.
		other := w.archiveInto(t, true)
		for _, build := range []func(db DB) ([]Section, error){
			func(db DB) ([]Section, error) { return WeeklySections(ctx, db, week) },
			func(db DB) ([]Section, error) { return MonthlySections(ctx, db, month) },
		} {
			a, errA := build(w.db)
			b, errB := build(other)
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if errA != nil || errB != nil || !bytes.Equal(ja, jb) {
				i := 0
				for i < min(len(ja), len(jb)) && ja[i] == jb[i] {
					i++
				}
				t.Errorf("two archives of the same records differ (%v, %v) at byte %d:\n%.300s\n%.300s", errA, errB, i, ja[i:], jb[i:])
			}
		}
		checkIDs(t, weekly)
		checkIDs(t, monthly)
	})
}

// wantTables are the member tables where a planted anomaly's actor must
// appear (by member id, in any cell); alerts_list holds every planted
// actor, the alerts being made from the plants. An actor must appear in no
// other table.
var wantTables = map[string][]string{
	pigmentsim.AnomalyPrivilegeEscalation:       {"account_type_changes", "privileged_members", "security_events"},
	pigmentsim.AnomalyActivityAfterDeactivation: {"status_changes", "activity_after_deactivation"},
	pigmentsim.AnomalySecurityChange:            {"api_key_changes", "api_keys_open", "security_events"},
	pigmentsim.AnomalyExportBurst:               {"imports_exports"},
}

func checkPlanted(t *testing.T, w *world, weekly, monthly []Section) {
	all := slices.Concat(weekly, monthly)
	for _, sim := range w.sims {
		for _, p := range sim.Planted() {
			want := append(slices.Clone(wantTables[p.Kind]), "alerts_list")
			if got := tablesWith(all, p.ActorID); !slices.Equal(got, sorted(want)) {
				t.Errorf("%s by %s is in tables %v, want %v", p.Kind, p.ActorID, got, sorted(want))
			}
		}
		for _, c := range sim.ControlActors() {
			if got := tablesWith(all, c); len(got) > 0 {
				t.Errorf("control member %s is in tables %v, want none", c, got)
			}
		}
		for _, p := range sim.Planted() {
			checkPlantedRows(t, monthly, p)
		}
	}
}

// checkPlantedRows checks what the rows of a planted anomaly say.
func checkPlantedRows(t *testing.T, monthly []Section, p pigmentsim.Planted) {
	switch p.Kind {
	case pigmentsim.AnomalyPrivilegeEscalation:
		rows := rowsWith(table(t, monthly, "privileged_members"), 1, p.ActorID)
		if len(rows) != 1 || rows[0][2] != WorkspaceAdmin || rows[0][7] != p.EventIDs[0] {
			t.Errorf("privileged_members of %s: %v, want Workspace Admin by %s", p.ActorID, rows, p.EventIDs[0])
		}
		if !hasFinding(section(t, monthly, "access_control"), Critical, "raised their own account type") {
			t.Errorf("no critical finding for %s raising their own account type", p.ActorID)
		}
	case pigmentsim.AnomalyActivityAfterDeactivation:
		rows := rowsWith(table(t, monthly, "activity_after_deactivation"), 1, p.ActorID)
		if len(rows) != 1 || rows[0][3] != p.EventIDs[0] || rows[0][8] != strings.Join(p.EventIDs[1:], " ") {
			t.Errorf("activity_after_deactivation of %s: %v, want the events %v after %s", p.ActorID, rows, p.EventIDs[1:], p.EventIDs[0])
		}
	case pigmentsim.AnomalySecurityChange:
		rows := rowsWith(table(t, monthly, "api_key_changes"), 4, p.ActorID)
		if len(rows) != 1 || rows[0][1] != "created" || rows[0][8] != p.EventIDs[0] {
			t.Errorf("api_key_changes by %s: %v, want the creation %s", p.ActorID, rows, p.EventIDs[0])
		}
	case pigmentsim.AnomalyExportBurst:
		rows := rowsWith(table(t, monthly, "imports_exports"), 1, p.ActorID)
		if len(rows) != 1 || rows[0][5] != strconv.Itoa(len(p.EventIDs)) || rows[0][3] != p.ApplicationID {
			t.Errorf("imports_exports of %s: %v, want %d exports in %s", p.ActorID, rows, len(p.EventIDs), p.ApplicationID)
		}
	}
}

// tablesWith returns the sorted IDs of the tables with a cell equal to v.
func tablesWith(sections []Section, v string) []string {
	var out []string
	for _, s := range sections {
		for _, t := range s.Tables {
			if slices.ContainsFunc(t.Rows, func(r []string) bool { return slices.Contains(r, v) }) && !slices.Contains(out, t.ID) {
				out = append(out, t.ID)
			}
		}
	}
	return sorted(out)
}

func sorted(s []string) []string { slices.Sort(s); return s }

func hasFinding(s Section, sev Severity, part string) bool {
	return slices.ContainsFunc(s.Findings, func(f Finding) bool { return f.Severity == sev && strings.Contains(f.Title, part) })
}

// checkIDs checks that section and table IDs are lower-case and unique in
// a document, and that charts name a table of their section.
func checkIDs(t *testing.T, sections []Section) {
	seen := map[string]bool{}
	for _, s := range sections {
		ids := []string{s.ID}
		for _, tb := range s.Tables {
			ids = append(ids, tb.ID)
		}
		for _, c := range s.Charts {
			ids = append(ids, c.ID)
			if !slices.ContainsFunc(s.Tables, func(tb Table) bool { return tb.ID == c.Table }) {
				t.Errorf("chart %s draws table %s, not in section %s", c.ID, c.Table, s.ID)
			}
		}
		for _, id := range ids {
			if seen[id] || id != strings.ToLower(id) || strings.ContainsAny(id, " /.") {
				t.Errorf("id %q repeated or not a lower-case file name", id)
			}
			seen[id] = true
		}
	}
}

// kcatRecord is what the independent count reads of a record: its type and
// time (an alert's window start), with encoding/json.
type kcatRecord struct {
	typ string
	at  time.Time
}

// kcatRead reads topic with kcat and decodes each payload on its own.
func kcatRead(t *testing.T, brokers, topic string) []kcatRecord {
	var out []kcatRecord
	for _, r := range testkit.Kcat(t, brokers, topic) {
		var v struct {
			EventType, EventTimestamp string
			Rule                      string
			Window                    struct{ Start string }
		}
		if r.Payload == nil || json.Unmarshal([]byte(*r.Payload), &v) != nil {
			t.Fatalf("kcat record %d/%d: not a JSON payload", r.Partition, r.Offset)
		}
		at, err := time.Parse(time.RFC3339Nano, v.EventTimestamp+v.Window.Start)
		if err != nil {
			t.Fatalf("kcat record %d/%d: time: %v", r.Partition, r.Offset, err)
		}
		// Postgres keeps microseconds, rounding.
		out = append(out, kcatRecord{typ: v.EventType + v.Rule, at: at.Round(time.Microsecond).UTC()})
	}
	return out
}

// count counts the records in [from, to) of the given types (any type
// when none).
func count(recs []kcatRecord, from, to time.Time, types ...string) int64 {
	var n int64
	for _, r := range recs {
		if !r.at.Before(from) && r.at.Before(to) && (len(types) == 0 || slices.Contains(types, r.typ)) {
			n++
		}
	}
	return n
}
