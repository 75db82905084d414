package pigmentsim

import (
	"slices"
	"testing"
	"time"
)

// labelledStart is a Thursday 03:00 UTC: the three weekdays are Monday to
// Wednesday.
var labelledStart = time.Date(2025, 11, 20, 3, 0, 0, 0, time.UTC)

func labelledSim(tb testing.TB, seed int64) *Sim {
	tb.Helper()
	s, err := New(Config{APIKey: "k", Seed: seed, Scenario: ScenarioLabelled, Members: 300, Applications: 40,
		Clock: func() time.Time { return labelledStart }})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestLabelledTruth: the labelled scenario plants an anomaly of every
// default rule and a near miss of every rule with a threshold or a
// boundary, names its control members, and is deterministic by seed.
func TestLabelledTruth(t *testing.T) {
	s := labelledSim(t, 7)
	planted, near := map[string]int{}, map[string]int{}
	for _, l := range s.Labels() {
		if l.Member == "" || l.Email == "" || l.Key == "" || l.What == "" {
			t.Errorf("label %+v: want a member, their email, a key and a description", l)
		}
		if l.Expect {
			planted[l.Rule]++
		} else {
			near[l.Rule]++
		}
	}
	for _, r := range []string{"off-hours", "unusual-location", "bulk-deletion", "activity-spike", "privilege-escalation",
		"security-config", "sensitive-access", "broad-access", "failed-logins", "high-churn", "inactive-members",
		"deactivated-activity", "export-burst"} {
		if planted[r] == 0 {
			t.Errorf("no planted anomaly of rule %s", r)
		}
		if near[r] == 0 && r != "security-config" {
			t.Errorf("no near miss of rule %s", r)
		}
	}
	if planted["privilege-escalation"] < 2 || planted["deactivated-activity"] < 2 {
		t.Errorf("planted %d privilege escalations and %d deactivations, want both vocabularies of each", planted["privilege-escalation"], planted["deactivated-activity"])
	}
	if n := len(s.ControlActors()); n < 50 {
		t.Errorf("%d control members, want at least 50", n)
	}
	again := labelledSim(t, 7)
	if !slices.Equal(s.VisibleIDs(labelledStart), again.VisibleIDs(labelledStart)) || !slices.Equal(s.Labels(), again.Labels()) {
		t.Error("two labelled Sims of one seed and start differ")
	}
	if other := labelledSim(t, 8); slices.Equal(s.VisibleIDs(labelledStart), other.VisibleIDs(labelledStart)) {
		t.Error("two seeds give the same stream")
	}
}

// TestLabelledStream: three weekdays of office hours for every quiet member,
// each member's events in both envelopes, logins from a few addresses of the
// member's own /24, nothing ingested after the start.
func TestLabelledStream(t *testing.T) {
	s := labelledSim(t, 7)
	paris, _ := time.LoadLocation("Europe/Paris")
	controls := map[string]bool{}
	for _, id := range s.ControlActors() {
		controls[id] = true
	}
	shapes := map[string]map[string]bool{}
	days := map[string]bool{}
	addrs := map[string]map[string]bool{}
	n := 0
	for _, in := range s.st.inj {
		n++
		if !in.IngestionTime.Before(labelledStart) || in.IngestionTime.Before(in.EventTime) {
			t.Fatalf("event %s: ingested %v for an event at %v, start %v", in.ID, in.IngestionTime, in.EventTime, labelledStart)
		}
		if !controls[in.ActorID] {
			continue
		}
		local := in.EventTime.In(paris)
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday || local.Hour() < 8 || local.Hour() >= 19 {
			t.Errorf("control event %s %s at %v local: outside office hours", in.ID, in.Type, local)
		}
		days[local.Format(time.DateOnly)] = true
		if shapes[in.ActorID] == nil {
			shapes[in.ActorID], addrs[in.ActorID] = map[string]bool{}, map[string]bool{}
		}
		shapes[in.ActorID][in.Shape] = true
		if ip, ok := in.Payload["ipAddress"].(string); ok && in.Type == "UserLoggedIn" {
			addrs[in.ActorID][ip] = true
		}
	}
	if n < 15000 {
		t.Errorf("%d events, want a few hundred members' three days (>= 15000)", n)
	}
	if len(days) != 3 {
		t.Errorf("control members active on %d days (%v), want 3", len(days), days)
	}
	for id, sh := range shapes {
		if !sh[ShapePublic] || !sh[ShapeDescribed] {
			t.Errorf("control %s: envelopes %v, want both", id, sh)
		}
		nets := map[string]bool{}
		for ip := range addrs[id] {
			nets[ip[:len(ip)-len(ip[lastDot(ip):])]] = true
		}
		if len(addrs[id]) < 2 || len(nets) != 1 {
			t.Errorf("control %s logged in from %v, want a few addresses in one /24", id, addrs[id])
		}
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return len(s)
}
