// Package kpitest is an independent computation of the audit-event KPIs
// from the events topic, read with kcat: the event types written out here,
// not taken from package kpi, for the tests of the KPIs and of the
// programs that compute them.
package kpitest

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// categories are the event types the test counts, by category, as it
// reads the topic: written out here, not taken from the package, so the
// computation is an independent one.
var categories = map[string][]string{
	"login":  {"UserLoggedIn"},
	"change": {"BlockCreated", "BlockModified", "BlockDeleted", "ApplicationCreated", "ApplicationDeleted"},
	"security": {"RoleChanged", "UserAccountTypeUpdated", "AccessRightsChanged", "PermissionsChanged",
		"APIKeyCreated", "APIKeyRevoked", "SupportSessionStarted"},
	"operation": {"ImportExecuted", "ExportExecuted"},
}

// Event is an event as the test reads it from kcat's output.
type Event struct {
	Type, Actor, Outcome string
	At                   time.Time
}

// Events reads the events topic with kcat, each eventId once.
func Events(t testing.TB, brokers, topic string) []Event {
	t.Helper()
	seen := map[string]bool{}
	var out []Event
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
		e := Event{Type: v.EventType, At: at.Round(time.Microsecond).UTC()}
		for _, a := range []string{v.Actor.MemberID, v.Actor.User.ID, v.Actor.ID, v.Actor.Email, v.Actor.User.Email} {
			if e.Actor == "" {
				e.Actor = a
			}
		}
		for _, o := range []string{v.Metadata.Outcome, v.Payload.Outcome, v.Context.Outcome, v.Metadata.Status, v.Payload.Status} {
			switch {
			case e.Outcome != "":
			case o == "success" || o == "Completed":
				e.Outcome = "success"
			case o == "failure" || o == "Failed":
				e.Outcome = "failure"
			}
		}
		out = append(out, e)
	}
	return out
}

// Day is what the test counts of one day: events by category, and the
// members with a login that did not fail.
type Day struct {
	N       map[string]int64
	Members map[string]bool
}

// category is the category the test counts e in, with its outcome.
func category(e Event) string {
	for cat, types := range categories {
		if slices.Contains(types, e.Type) {
			return cat + "/" + e.Outcome
		}
	}
	return "other"
}

// Count counts the events of evs on day (UTC midnight).
func Count(evs []Event, day time.Time) Day {
	d := Day{N: map[string]int64{}, Members: map[string]bool{}}
	for _, e := range evs {
		if e.At.Before(day) || !e.At.Before(day.AddDate(0, 0, 1)) {
			continue
		}
		d.N["events"]++
		d.N[category(e)]++
		if category(e) == "login/success" || category(e) == "login/" {
			d.Members[e.Actor] = true
		}
	}
	return d
}

// Sum adds the counts of the categories.
func (d Day) Sum(cats ...string) int64 {
	var n int64
	for _, c := range cats {
		n += d.N[c]
	}
	return n
}

// Week is the events and changes of the seven days ending on last.
func Week(evs []Event, last time.Time) (events, changes int64) {
	for i := range 7 {
		d := Count(evs, last.AddDate(0, 0, -i))
		events, changes = events+d.N["events"], changes+d.Sum("change/success", "change/failure", "change/")
	}
	return events, changes
}

// Near reports whether got is want; a NaN (a share of nothing) wants nil.
func Near(got *float64, want float64) bool {
	if math.IsNaN(want) {
		return got == nil
	}
	return got != nil && math.Abs(*got-want) < 1e-9
}

// Check compares the audit-event KPIs of days among values with the test's
// own count of evs (each day's active members, failed-login share, API
// error rate, daily changes and security events, weekly changes and its
// target, which needs one of the four weeks before to hold events), and
// returns the login attempts counted, so a caller can tell a
// count that proves little.
func Check(t testing.TB, values []kpi.Value, evs []Event, days []time.Time) (logins int64) {
	t.Helper()
	for _, day := range days {
		k := Count(evs, day)
		attempts := k.Sum("login/success", "login/failure", "login/")
		logins += attempts
		check := func(name string, want float64) {
			t.Helper()
			if v := Value(t, values, day, name); !Near(v.Value, want) {
				t.Errorf("%s on %s = %v, kcat computes %g", name, day.Format(time.DateOnly), Deref(v.Value), want)
			}
		}
		check(kpi.ActiveMembers, float64(len(k.Members)))
		check(kpi.FailedLoginShare, float64(k.N["login/failure"])/float64(attempts))
		check(kpi.APIErrorRate, float64(k.N["operation/failure"])/float64(k.Sum("operation/success", "operation/failure")))
		check(kpi.DailyChanges, float64(k.Sum("change/success", "change/failure", "change/")))
		check(kpi.DailySecurityEvents, float64(k.Sum("security/success", "security/failure", "security/")))
		_, changes := Week(evs, day)
		check(kpi.WeeklyChanges, float64(changes))
		var held, sum int64
		for i := 1; i <= 4; i++ {
			if e, c := Week(evs, day.AddDate(0, 0, -7*i)); e > 0 {
				held, sum = held+1, sum+c
			}
		}
		if v := Value(t, values, day, kpi.WeeklyChanges); held == 0 || !Near(v.Target, float64(sum)/float64(held)*1.2) {
			t.Errorf("weekly changes target on %s = %v, kcat computes %d weeks averaging %d changes, + 20 %%",
				day.Format(time.DateOnly), Deref(v.Target), held, sum)
		}
	}
	return logins
}

// Value returns the value of k on day among values.
func Value(tb testing.TB, values []kpi.Value, day time.Time, k string) kpi.Value {
	tb.Helper()
	i := slices.IndexFunc(values, func(v kpi.Value) bool { return v.Day.Equal(day) && v.KPI == k })
	if i < 0 {
		tb.Fatalf("no KPI %s on %s", k, day.Format(time.DateOnly))
	}
	return values[i]
}

// Deref is *v, or nil, for messages.
func Deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
