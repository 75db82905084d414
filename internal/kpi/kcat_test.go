package kpi_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// kCategories are the event types the test counts, by category, as it
// reads the topic: written out here, not taken from the package, so the
// computation is an independent one.
var kCategories = map[string][]string{
	"login":  {"UserLoggedIn"},
	"change": {"BlockCreated", "BlockModified", "BlockDeleted", "ApplicationCreated", "ApplicationDeleted"},
	"security": {"RoleChanged", "UserAccountTypeUpdated", "AccessRightsChanged", "PermissionsChanged",
		"APIKeyCreated", "APIKeyRevoked", "SupportSessionStarted"},
	"operation": {"ImportExecuted", "ExportExecuted"},
}

// kEvent is an event as the test reads it from kcat's output.
type kEvent struct {
	typ, actor, outcome string
	at                  time.Time
}

// kcatEvents reads the events topic with kcat, each eventId once.
func kcatEvents(t *testing.T, brokers, topic string) []kEvent {
	t.Helper()
	seen := map[string]bool{}
	var out []kEvent
	for _, r := range testkit.Kcat(t, brokers, topic) {
		var v struct {
			EventID, EventType, EventTimestamp string
			Actor                              struct {
				MemberID, ID, Email string
				User                struct{ ID, Email string }
			}
			Metadata, Payload, Context struct{ Outcome, Status string }
		}
		if r.Payload == nil || json.Unmarshal([]byte(*r.Payload), &v) != nil {
			t.Fatalf("kcat record %d/%d: not an event", r.Partition, r.Offset)
		}
		if seen[v.EventID] {
			continue
		}
		seen[v.EventID] = true
		at, err := time.Parse(time.RFC3339Nano, v.EventTimestamp)
		if err != nil {
			t.Fatalf("event %s: time %q", v.EventID, v.EventTimestamp)
		}
		e := kEvent{typ: v.EventType, at: at.Round(time.Microsecond).UTC()}
		for _, a := range []string{v.Actor.MemberID, v.Actor.User.ID, v.Actor.ID, v.Actor.Email, v.Actor.User.Email} {
			if e.actor == "" {
				e.actor = a
			}
		}
		for _, o := range []string{v.Metadata.Outcome, v.Payload.Outcome, v.Context.Outcome, v.Metadata.Status, v.Payload.Status} {
			switch {
			case e.outcome != "":
			case o == "success" || o == "Completed":
				e.outcome = "success"
			case o == "failure" || o == "Failed":
				e.outcome = "failure"
			}
		}
		out = append(out, e)
	}
	return out
}

// kDay is what the test counts of one day: events by category, and the
// members with a login that did not fail.
type kDay struct {
	n       map[string]int64
	members map[string]bool
}

// kCategory is the category the test counts e in, with its outcome.
func kCategory(e kEvent) string {
	for cat, types := range kCategories {
		if slices.Contains(types, e.typ) {
			return cat + "/" + e.outcome
		}
	}
	return "other"
}

func kCount(evs []kEvent, day time.Time) kDay {
	d := kDay{n: map[string]int64{}, members: map[string]bool{}}
	for _, e := range evs {
		if e.at.Before(day) || !e.at.Before(day.AddDate(0, 0, 1)) {
			continue
		}
		d.n["events"]++
		d.n[kCategory(e)]++
		if kCategory(e) == "login/success" || kCategory(e) == "login/" {
			d.members[e.actor] = true
		}
	}
	return d
}

// sum adds the counts of the categories.
func (d kDay) sum(cats ...string) int64 {
	var n int64
	for _, c := range cats {
		n += d.n[c]
	}
	return n
}

// kWeek is the events and changes of the seven days ending on last.
func kWeek(evs []kEvent, last time.Time) (events, changes int64) {
	for i := range 7 {
		d := kCount(evs, last.AddDate(0, 0, -i))
		events, changes = events+d.n["events"], changes+d.sum("change/success", "change/failure", "change/")
	}
	return events, changes
}

// near reports whether got is want; a NaN (a share of nothing) wants nil.
func near(got *float64, want float64) bool {
	if math.IsNaN(want) {
		return got == nil
	}
	return got != nil && math.Abs(*got-want) < 1e-9
}

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
	evs := kcatEvents(t, w.brokers, w.events)
	var logins int64
	for _, day := range week {
		k := kCount(evs, day)
		attempts := k.sum("login/success", "login/failure", "login/")
		logins += attempts
		check := func(name string, want float64) {
			t.Helper()
			if v := value(t, res.Values, day, name); !near(v.Value, want) {
				t.Errorf("%s on %s = %v, kcat computes %g", name, day.Format(time.DateOnly), deref(v.Value), want)
			}
		}
		check(kpi.ActiveMembers, float64(len(k.members)))
		check(kpi.FailedLoginShare, float64(k.n["login/failure"])/float64(attempts))
		check(kpi.APIErrorRate, float64(k.n["operation/failure"])/float64(k.sum("operation/success", "operation/failure")))
		check(kpi.DailyChanges, float64(k.sum("change/success", "change/failure", "change/")))
		check(kpi.DailySecurityEvents, float64(k.sum("security/success", "security/failure", "security/")))
		_, changes := kWeek(evs, day)
		check(kpi.WeeklyChanges, float64(changes))
		var held, sum int64
		for i := 1; i <= 4; i++ {
			if e, c := kWeek(evs, day.AddDate(0, 0, -7*i)); e > 0 {
				held, sum = held+1, sum+c
			}
		}
		if v := value(t, res.Values, day, kpi.WeeklyChanges); held == 0 || !near(v.Target, float64(sum)/float64(held)*1.2) {
			t.Errorf("weekly changes target on %s = %v, kcat computes %d weeks averaging %d changes, + 20 %%",
				day.Format(time.DateOnly), deref(v.Target), held, sum)
		}
		if v := value(t, res.Values, day, kpi.AvgDimensions); v.Value != nil || v.Status != kpi.NotAvailable {
			t.Errorf("avg dimensions without dimensions = %v (%s), want not available", deref(v.Value), v.Status)
		}
		if v := value(t, res.Values, day, kpi.LargeApplications); !near(v.Value, 3) || v.Status != kpi.Breached ||
			v.Source != "inventory snapshot 7" {
			t.Errorf("large applications = %v (%s, %s), want 3 (breached, inventory snapshot 7)", deref(v.Value), v.Status, v.Source)
		}
	}
	if logins == 0 {
		t.Errorf("the week holds no login: the counts prove little")
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
