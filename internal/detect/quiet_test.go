package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// everyEvent turns the rules that judge by the member's history back into
// the rules before it (the defaults before issue 9): security-config on
// every change of seven types, sensitive-access on every access,
// broad-access on more than 8 distinct applications, for tests of the
// counting itself.
func everyEvent(rs *RuleSet) {
	for _, id := range []string{"security-config", "sensitive-access", "broad-access"} {
		r := ruleOf(rs, id)
		r.Known, r.Learning = 0, 0
	}
	ruleOf(rs, "security-config").Types = []string{"APIKeyCreated", "APIKeyRevoked", "AccessRightsChanged",
		"PermissionsChanged", "GroupCreated", "GroupModified", "SupportSessionStarted"}
	ruleOf(rs, "broad-access").Threshold = 8
}

// noise is what the default rules raise on the simulator's activity.
type noise struct {
	days, members int
	events        int
	planted       map[string]int // alerts on a planted actor, by rule
	other         map[string]int // the rest, by rule
	control       []string       // alerts naming a control member
	missed        []string       // planted kinds without an alert of their rule
}

// rate returns the alerts not on a planted anomaly per day per 1,000 members.
func (n noise) rate() float64 {
	total := 0
	for _, c := range n.other {
		total += c
	}
	return float64(total) / float64(n.days) * 1000 / float64(n.members)
}

func (n noise) String() string {
	perDay := func(m map[string]int) string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		var b strings.Builder
		for _, k := range ks {
			fmt.Fprintf(&b, " %s=%d (%.0f/day/1k)", k, m[k], float64(m[k])/float64(n.days)*1000/float64(n.members))
		}
		return b.String()
	}
	return fmt.Sprintf("%d events, %d days, %d members: %.1f alerts/day/1k members not planted;\n  other:%s\n  planted:%s\n  control: %v\n  missed: %v",
		n.events, n.days, n.members, n.rate(), perDay(n.other), perDay(n.planted), n.control, n.missed)
}

// measureNoise runs the simulator's backlog (c: Anomalies on) through an
// engine with rs, as detect does (ingestion order, watermark the newest
// event time minus the lateness), and sorts the alerts into those on a
// planted anomaly's actor (or its target, or application) and the rest.
func measureNoise(tb testing.TB, c pigmentsim.Config, rs RuleSet) noise {
	tb.Helper()
	c.APIKey, c.PageSize, c.Clock = "k", c.HistoryEvents+100000, func() time.Time { return quietNow }
	sim, err := pigmentsim.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	c = sim.Config()
	evs := byIngestion(simBacklog(tb, sim, quietNow.Add(-c.History-96*time.Hour)))
	alerts := feed(mustEngine(tb, rs), evs, time.Time{})
	n := noise{days: int(c.History / (24 * time.Hour)), members: c.Members, events: len(evs),
		planted: map[string]int{}, other: map[string]int{}}
	plantedActor := map[string]bool{}
	found := map[string]bool{}
	for _, p := range sim.Planted() {
		plantedActor[p.ActorID] = true
	}
	controls := sim.ControlActors()
	for _, a := range alerts {
		subject := cmp.Or(a.Actor, strings.TrimPrefix(a.Key, "member:"))
		if slices.Contains(controls, subject) || strings.Contains(a.Key, "member:") && slices.Contains(controls, strings.TrimPrefix(a.Key, "member:")) {
			n.control = append(n.control, a.Rule+" "+a.Key)
		}
		onPlanted := plantedActor[subject] || plantedActor[strings.TrimPrefix(a.Key, "member:")]
		if onPlanted {
			n.planted[a.Rule]++
		} else {
			n.other[a.Rule]++
		}
		for _, p := range sim.Planted() {
			if pigmentsim.AnomalyRules[p.Kind] == a.Rule && (subject == p.ActorID || strings.TrimPrefix(a.Key, "member:") == p.ActorID) {
				found[p.Kind] = true
			}
		}
	}
	for _, p := range sim.Planted() {
		if !found[p.Kind] {
			n.missed = append(n.missed, p.Kind)
		}
	}
	return n
}

// quietNow is a Wednesday in winter, when Paris (the default rules' time
// zone) is UTC+1: the simulator's business hours, 09:00-18:00 UTC, are
// within the rules' 08:00-19:00 local.
var quietNow = time.Date(2025, 12, 3, 12, 0, 0, 0, time.UTC)

// demoConfig is the simulator's backlog of `make demo`: two days, 50,000
// events, the default 50 members, planted anomalies.
func demoConfig() pigmentsim.Config {
	return pigmentsim.Config{Seed: 7, Anomalies: true, History: 48 * time.Hour, HistoryEvents: 50000}
}

// TestNoise keeps the figures the README states: with the default rules,
// the simulator's normal activity raises at most this many alerts per day
// per 1,000 members besides the planted anomalies, every planted anomaly is
// found by the rule meant to find it, and no control member is alerted on.
// Run with -v for the breakdown by rule.
func TestNoise(t *testing.T) {
	tests := []struct {
		name string
		c    pigmentsim.Config
		max  float64 // alerts per day per 1,000 members, not on a planted anomaly
	}{
		{"make demo: two days, 50,000 events", demoConfig(), 1900},
		{"a week at the same rate", pigmentsim.Config{Seed: 7, Anomalies: true, History: 7 * 24 * time.Hour, HistoryEvents: 125000}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := measureNoise(t, tt.c, mustRules(t, nil))
			t.Log(n)
			if r := n.rate(); r > tt.max {
				t.Errorf("%.0f alerts per day per 1,000 members besides the planted ones, want at most %.0f (the README's figure)", r, tt.max)
			}
			if len(n.missed) > 0 {
				t.Errorf("planted anomalies not found by their rule: %v", n.missed)
			}
			if len(n.control) > 0 {
				t.Errorf("alerts on control members: %v", n.control)
			}
		})
	}
}

// TestKnownSurvivesState: what a member used is saved with the state, so a
// restart does not take a daily user's access for a first one.
func TestKnownSurvivesState(t *testing.T) {
	rs := mustRules(t, func(rs *RuleSet) { ruleOf(rs, "sensitive-access").Learning = 0 }, "sensitive-access")
	day1 := tev(t, 1, "ApplicationAccessed@2025-06-10T10:00:00Z m1 app=a7 appName=Headcount_Planning")
	day2 := tev(t, 2, "ApplicationAccessed@2025-06-11T10:00:00Z m1 app=a7 appName=Headcount_Planning")
	e := mustEngine(t, rs)
	if got := keys(feed(e, []event.Event{day1}, day1.Time.Add(time.Hour))); len(got) != 1 {
		t.Fatalf("first access: alerts %q, want one", got)
	}
	restored, _ := restarted(t, e, rs)
	if got := keys(feed(restored, []event.Event{day2}, time.Time{})); len(got) != 0 {
		t.Errorf("restored, the next day's access: alerts %q, want none", got)
	}
	fresh := mustEngine(t, rs)
	if got := keys(feed(fresh, []event.Event{day2}, time.Time{})); len(got) != 1 {
		t.Errorf("without the state, the next day's access: alerts %q, want one (the test proves nothing)", got)
	}
}

// TestKnownBounded: a member's history holds at most knownCap items, and
// items unused for the known period are forgotten, members with them.
func TestKnownBounded(t *testing.T) {
	e := mustEngine(t, mustRules(t, nil, "broad-access"))
	var evs []event.Event
	for i := range 3 * knownCap {
		evs = append(evs, tev(t, i, fmt.Sprintf("ApplicationAccessed@2025-06-10T10:%02d:%02dZ m1 app=a%d", i/60, i%60, i)))
	}
	feed(e, evs, evs[len(evs)-1].Time)
	if n := len(e.known); n != 1 {
		t.Fatalf("%d members with history, want 1", n)
	}
	for _, ks := range e.known {
		if len(ks.items) != knownCap {
			t.Errorf("%d items remembered, want the cap %d", len(ks.items), knownCap)
		}
	}
	e.Advance(evs[len(evs)-1].Time.Add(31*24*time.Hour + 2*time.Hour))
	if n := len(e.known); n != 0 {
		t.Errorf("31 days later: %d members with history, want 0", n)
	}
}

// TestStateBeforeHistories: a state saved before members' histories
// (versions 2 and 3) is read, with none.
func TestStateBeforeHistories(t *testing.T) {
	for _, v := range []int{2, 3} {
		stateVersionRead(t, v)
	}
}

func stateVersionRead(t *testing.T, version int) {
	e := mustEngine(t, mustRules(t, nil))
	s := snapshot{Version: version, Rules: e.cfg.ruleNames(), Epoch: slices.Repeat([]int64{math.MaxInt64}, len(e.cfg.rules)), Watermark: 42}
	if err := e.UnmarshalState(encodeState(t, s)); err != nil {
		t.Fatalf("version %d state: %v", version, err)
	}
	if e.wm != 42 || len(e.known) != 0 {
		t.Errorf("watermark %d, %d histories; want 42 and none", e.wm, len(e.known))
	}
}

// TestAllowList: a rule ignores its allow list's members (by id, email or
// pattern, any case) and applications (by id or name) before counting.
func TestAllowList(t *testing.T) {
	allow := func(rs *RuleSet) {
		everyEvent(rs)
		for _, id := range []string{"security-config", "broad-access", "bulk-deletion"} {
			ruleOf(rs, id).Allow = Allow{
				Members:      []string{"m-admin", "Ops@Example.com", "*@svc.example.com", "robot-*"},
				Applications: []string{"app-sandbox", "Scratch Pad"},
			}
		}
	}
	runCases(t, []ruleCase{
		{name: "members by id, email and pattern", rule: "security-config", edit: allow, events: []string{
			"APIKeyCreated@2025-06-10T10:00:00Z m-admin",
			"APIKeyCreated@2025-06-10T10:01:00Z m2 eid=x1", // email m2@example.com: not listed
			"APIKeyCreated@2025-06-10T10:02:00Z ops",       // ops@example.com, listed with other case
			"APIKeyCreated@2025-06-10T10:03:00Z robot-7",
		}, want: []string{"security-config actor:m2|APIKeyCreated count=1"}},
		{name: "a member not listed", rule: "security-config", edit: allow, events: []string{"SupportSessionStarted@2025-06-10T10:00:00Z m3"}, want: []string{"security-config actor:m3|SupportSessionStarted count=1"}},
		{name: "applications by id and name do not count", rule: "broad-access", edit: allow,
			events: append(repeatApps(8, "m1"), "ApplicationAccessed@2025-06-10T10:30:00Z m1 app=app-sandbox",
				"ApplicationAccessed@2025-06-10T10:31:00Z m1 app=a99 appName=scratch_pad")},
		{name: "the ninth application, not listed, does", rule: "broad-access", edit: allow,
			events: append(repeatApps(8, "m1"), "ApplicationAccessed@2025-06-10T10:30:00Z m1 app=a50"),
			want:   []string{"broad-access actor:m1 count=9"}},
		{name: "a listed actor's deletions are not counted in the application either", rule: "bulk-deletion", edit: allow,
			events: append(repeat(6, "BlockDeleted@T m-admin app=a1", "2025-06-10T10:00:00Z", time.Minute),
				repeat(6, "BlockDeleted@T m2 app=a1", "2025-06-10T10:10:00Z", time.Minute)...)},
	})
	// The service-account pattern matches the email, not the id.
	e := mustEngine(t, mustRules(t, allow, "security-config"))
	ev := tev(t, 0, "APIKeyCreated@2025-06-10T10:00:00Z m4")
	ev.ActorEmail = "sync@SVC.example.com"
	if as := e.Process(&ev); len(as) != 0 {
		t.Errorf("service account by pattern: %d alerts, want none", len(as))
	}
}

// repeatApps returns n accesses by actor to applications a0.. within an hour.
func repeatApps(n int, actor string) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("ApplicationAccessed@2025-06-10T10:%02d:00Z %s app=a%d", i, actor, i))
	}
	return out
}

// TestSpikeSkipsIdleWindows: a member working 60 events an hour during the
// day is not a spike every morning (the night's empty windows do not lower
// the baseline), but 250 in an hour is.
func TestSpikeSkipsIdleWindows(t *testing.T) {
	var evs []string
	for d := range 3 {
		for h := 9; h < 18; h++ {
			evs = append(evs, repeat(60, "BlockModified@T m1 app=a1", fmt.Sprintf("2025-06-%02dT%02d:00:00Z", 9+d, h), time.Minute)...)
		}
	}
	burst := repeat(250, "BlockModified@T m1 app=a1", "2025-06-12T10:00:00Z", 10*time.Second)
	actorOnly := func(rs *RuleSet) { ruleOf(rs, "activity-spike").Scopes = []string{"actor"} }
	runCases(t, []ruleCase{
		{name: "mornings", rule: "activity-spike", edit: actorOnly, events: evs},
		{name: "a burst", rule: "activity-spike", edit: actorOnly, events: append(slices.Clone(evs), burst...),
			want: []string{"activity-spike actor:m1 count=250"}},
	})
}

// TestHistoryOrderIndependent: the rules judging by the member's history
// decide the same alerts whatever the arrival order: oldest first (the
// watermark following), newest first as a first catch-up arrives (the
// watermark held until the end), and newest first with the state saved and
// restored halfway.
func TestHistoryOrderIndependent(t *testing.T) {
	c := demoConfig()
	c.APIKey, c.PageSize, c.Clock = "k", c.HistoryEvents+100000, func() time.Time { return quietNow }
	sim, err := pigmentsim.New(c)
	if err != nil {
		t.Fatal(err)
	}
	newestFirst := simBacklog(t, sim, quietNow.Add(-c.History-96*time.Hour))
	rs := mustRules(t, nil, "security-config", "sensitive-access", "broad-access", "privilege-escalation")
	want := ids(feed(mustEngine(t, rs), byIngestion(newestFirst), time.Time{}))
	if len(want) < 20 {
		t.Fatalf("only %d alerts oldest first: the test proves nothing", len(want))
	}
	end := newestFirst[0].Time.Add(72 * time.Hour)
	e := mustEngine(t, rs)
	got := ids(append(processAll(e, newestFirst), e.Advance(end)...))
	if !slices.Equal(got, want) {
		t.Errorf("newest first: %d alert IDs, want %d; differ: %v", len(got), len(want), symDiff(got, want))
	}
	half := len(newestFirst) / 2
	e = mustEngine(t, rs)
	as := processAll(e, newestFirst[:half])
	e, _ = restarted(t, e, rs)
	as = append(as, processAll(e, newestFirst[half:])...)
	got = ids(append(as, e.Advance(end)...))
	if !slices.Equal(got, want) {
		t.Errorf("newest first, restarted halfway: %d alert IDs, want %d; differ: %v", len(got), len(want), symDiff(got, want))
	}
}
