package detect

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

func threshold15(id string) func(*RuleSet) {
	return func(rs *RuleSet) { ruleOf(rs, id).Threshold = 15 }
}

// slidingCase is a burst for one counting rule: the alerts it must raise
// oldest first (as "rule key count=N": the count when decided) and the
// start of their suppression period.
type slidingCase struct {
	name   string
	rule   string
	edit   func(*RuleSet)
	events []string
	want   []string
	period string // RFC 3339: the suppression period of every alert
}

// slidingCases straddle a window boundary of the old tumbling windows:
// each half is under the threshold, any 60 minutes (24 hours for
// high-churn) is not. The near misses hold exactly the threshold.
func slidingCases() []slidingCase {
	var apps, eightApps []string
	for i := range 9 {
		at := time.Date(2025, 6, 10, 10, 40+5*i, 0, 0, time.UTC).Format(time.RFC3339)
		apps = append(apps, "ApplicationAccessed@"+at+" m1 app=a"+string(rune('1'+i)))
		if i < 8 {
			eightApps = append(eightApps, "ApplicationAccessed@"+at+" m1 app=a"+string(rune('1'+i)))
		} else {
			eightApps = append(eightApps, "ApplicationAccessed@"+at+" m1 app=a1")
		}
	}
	var fails, half []string
	for i := range 6 {
		at := time.Date(2025, 6, 10, 10, 55+2*i, 0, 0, time.UTC)
		fails = append(fails, "UserLoggedIn@"+at.Format(time.RFC3339)+" m1 outcome=failure")
		if i < 4 {
			half = append(half, "UserLoggedIn@"+at.Format(time.RFC3339)+" m1 outcome=success",
				"UserLoggedIn@"+at.Add(time.Minute).Format(time.RFC3339)+" m1 outcome=failure")
		}
	}
	return []slidingCase{
		{name: "bulk-deletion: 25 in 48 minutes across 11:00, threshold 15", rule: "bulk-deletion", edit: threshold15("bulk-deletion"),
			events: repeat(25, "BlockDeleted@T m1 app=a1", "2025-06-10T10:40:00Z", 2*time.Minute),
			want:   []string{"bulk-deletion actor:m1 count=17", "bulk-deletion application:a1 count=17"}, period: "2025-06-10T11:00:00Z"},
		{name: "bulk-deletion: 15 in 45 minutes is not more than 15", rule: "bulk-deletion", edit: threshold15("bulk-deletion"),
			events: repeat(15, "BlockDeleted@T m1 app=a1", "2025-06-10T10:40:00Z", 3*time.Minute)},
		{name: "bulk-deletion: a burst just before the hour is one alert", rule: "bulk-deletion",
			events: repeat(20, "BlockDeleted@T m1", "2025-06-10T10:56:00Z", 9*time.Second),
			want:   []string{"bulk-deletion actor:m1 count=11"}, period: "2025-06-10T10:00:00Z"},
		{name: "export-burst: 25 in 48 minutes across 11:00, threshold 15", rule: "export-burst", edit: threshold15("export-burst"),
			events: repeat(25, "ExportExecuted@T m1 app=a1", "2025-06-10T10:40:00Z", 2*time.Minute),
			want:   []string{"export-burst actor:m1 count=17"}, period: "2025-06-10T11:00:00Z"},
		{name: "export-burst: 21 across 11:00 at the default threshold", rule: "export-burst",
			events: repeat(21, "ExportExecuted@T m1 app=a1", "2025-06-10T10:40:00Z", 2*time.Minute),
			want:   []string{"export-burst actor:m1 count=21"}, period: "2025-06-10T11:00:00Z"},
		{name: "export-burst: 20 across 11:00", rule: "export-burst",
			events: repeat(20, "ExportExecuted@T m1 app=a1", "2025-06-10T10:40:00Z", 2*time.Minute)},
		// Paris midnight is 22:00Z: 240 changes on the 10th, 360 on the 11th.
		{name: "high-churn: 600 in 20 hours across Paris midnight", rule: "high-churn",
			events: repeat(600, "BlockModified@T m1 app=a1", "2025-06-10T14:00:00Z", 2*time.Minute),
			want:   []string{"high-churn application:a1 count=501"}, period: "2025-06-10T22:00:00Z"},
		{name: "high-churn: 500 across Paris midnight", rule: "high-churn",
			events: repeat(500, "BlockModified@T m1 app=a1", "2025-06-10T14:00:00Z", 2*time.Minute)},
		{name: "broad-access: 9 applications in 40 minutes across 11:00", rule: "broad-access", edit: everyEvent, events: apps,
			want: []string{"broad-access actor:m1 count=9"}, period: "2025-06-10T11:00:00Z"},
		{name: "broad-access: 8 applications across 11:00", rule: "broad-access", edit: everyEvent, events: eightApps},
		{name: "failed-logins: 6 failures across 11:00", rule: "failed-logins", events: fails,
			want: []string{"failed-logins actor:m1 count=5"}, period: "2025-06-10T11:00:00Z"},
		{name: "failed-logins: half of 8 across 11:00 is not more than half", rule: "failed-logins", events: half},
	}
}

// TestSlidingWindows: "more than N in an hour" is any 60 minutes, to
// within a step: bursts across a boundary of the old tumbling windows
// alert once, with the ID of the suppression period of the step in which
// the count crossed; exactly the threshold does not. The alerts and their
// IDs are the same oldest first, newest first (a first catch-up: nothing
// decided until the end) and shuffled within the lateness.
func TestSlidingWindows(t *testing.T) {
	for _, tc := range slidingCases() {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustRules(t, tc.edit, tc.rule)
			evs := tevs(t, tc.events)
			got := feed(mustEngine(t, rs), evs, time.Time{})
			if k := keys(got); !slices.Equal(k, sorted(tc.want)) {
				t.Errorf("oldest first: alerts = %q, want %q", k, sorted(tc.want))
			}
			var wantIDs []string
			for _, a := range got {
				p, _ := time.Parse(time.RFC3339, tc.period)
				if id := alertID(a.Rule, a.Key, p.UnixNano()); a.ID != id {
					t.Errorf("alert %s %s: ID %s, want that of the period starting %s (%s); window %v", a.Rule, a.Key, a.ID, tc.period, id, a.Window)
				}
				wantIDs = append(wantIDs, a.ID)
			}
			slices.Sort(wantIDs)
			newest := slices.Clone(evs)
			slices.Reverse(newest)
			orders := map[string][]Alert{
				"newest first": feedAll(mustEngine(t, rs), newest),
				"shuffled 0":   feed(mustEngine(t, rs), shuffled(evs, 5*time.Minute, 0), time.Time{}),
				"shuffled 1":   feed(mustEngine(t, rs), shuffled(evs, 5*time.Minute, 1), time.Time{}),
			}
			for name, as := range orders {
				if g := ids(as); !slices.Equal(g, wantIDs) {
					t.Errorf("%s: alerts %q IDs %v, want %v", name, keys(as), g, wantIDs)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSlidingSpree: a spree that lasts three hours alerts once per
// suppression period it feeds, not once per step, and not again once the
// events stop.
func TestSlidingSpree(t *testing.T) {
	rs := mustRules(t, func(rs *RuleSet) { ruleOf(rs, "bulk-deletion").Scopes = []string{"actor"} }, "bulk-deletion")
	evs := tevs(t, repeat(90, "BlockDeleted@T m1", "2025-06-10T10:00:00Z", 2*time.Minute))
	got := feed(mustEngine(t, rs), evs, time.Time{})
	var periods []string
	for _, a := range got {
		for _, p := range []string{"10", "11", "12", "13"} {
			if a.ID == alertID("bulk-deletion", "actor:m1", time.Date(2025, 6, 10, int(p[1]-'0')+10, 0, 0, 0, time.UTC).UnixNano()) {
				periods = append(periods, p)
			}
		}
	}
	slices.Sort(periods)
	if !slices.Equal(periods, []string{"10", "11", "12"}) || len(got) != 3 {
		t.Errorf("alerts %q in periods %v, want three: 10:00, 11:00, 12:00", keys(got), periods)
	}
}

// TestSlidingStateRoundTrip: a burst across 11:00 cut at every event and
// resumed from the saved state gives the same alerts as one run.
func TestSlidingStateRoundTrip(t *testing.T) {
	for _, tc := range slidingCases() {
		rs := mustRules(t, tc.edit, tc.rule)
		evs := tevs(t, tc.events)
		want := alertJSON(t, feed(mustEngine(t, rs), evs, time.Time{}))
		for cut := 1; cut < len(evs); cut += max(1, len(evs)/7) {
			got, same := resumedAt(t, rs, evs, cut)
			if !same {
				t.Errorf("%s, cut %d: state changed by a round trip", tc.name, cut)
			}
			if g := alertJSON(t, got); g != want {
				t.Errorf("%s, cut %d: restarted run differs:\n%s", tc.name, cut, lineDiff(g, want))
			}
		}
	}
}

// TestSlidingOldState: a state saved by version 2 (tumbling windows)
// loads: its counting window becomes one step at its last event, so a
// burst in progress at the upgrade is still counted. Version 1 is refused.
func TestSlidingOldState(t *testing.T) {
	rs := mustRules(t, func(rs *RuleSet) { ruleOf(rs, "bulk-deletion").Scopes = []string{"actor"} }, "bulk-deletion")
	at := func(m int) int64 { return time.Date(2025, 6, 10, 10, m, 0, 0, time.UTC).UnixNano() }
	old := snapshot{Version: 2, Rules: []string{"bulk-deletion"}, Watermark: at(47), LastScan: at(47), Epoch: []int64{math.MaxInt64},
		Cells: []snapCell{{Rule: 0, Scope: uint8(scopeActor), Start: at(0), End: at(60), First: at(50), Last: at(57),
			Value: "m1", Email: "m1@example.com", Count: 8, Evidence: []string{"o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"}}}}
	e := mustEngine(t, rs)
	if err := e.UnmarshalState(encodeState(t, old)); err != nil {
		t.Fatalf("UnmarshalState(version 2) = %v", err)
	}
	evs := tevs(t, repeat(5, "BlockDeleted@T m1", "2025-06-10T11:00:00Z", time.Minute))
	got := feedFrom(e, evs, time.Unix(0, at(57)))
	if k := keys(got); !slices.Equal(k, []string{"bulk-deletion actor:m1 count=13"}) {
		t.Errorf("after a version 2 state of 8 deletions, 5 more: alerts %q, want one of 13", k)
	}
	if len(got) == 1 && !slices.Contains(got[0].Evidence, "o1") {
		t.Errorf("evidence %v lacks the old window's", got[0].Evidence)
	}
	refusesVersion1(t, rs, old)
}

// TestSlidingAtOnce: once the watermark is inside a suppression period and
// the last window it passed was not over, a count crossing in that period
// can only be that period's alert: Process raises it at once. Before the
// watermark reaches the period, the crossing waits for it. Either way the
// ID is the period's.
func TestSlidingAtOnce(t *testing.T) {
	rs := mustRules(t, func(rs *RuleSet) { ruleOf(rs, "bulk-deletion").Scopes = []string{"actor"} }, "bulk-deletion")
	want := alertID("bulk-deletion", "actor:m1", time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC).UnixNano())
	for _, tc := range []struct {
		watermark string
		atOnce    bool
	}{{"2025-06-10T10:10:00Z", true}, {"2025-06-10T09:50:00Z", false}} {
		e := mustEngine(t, rs)
		wm, _ := time.Parse(time.RFC3339, tc.watermark)
		e.Advance(wm)
		var got []Alert
		for i, s := range repeat(11, "BlockDeleted@T m1", "2025-06-10T10:20:00Z", time.Minute) {
			ev := tev(t, i, s)
			as := e.Process(&ev)
			if len(as) > 0 && i != 10 {
				t.Errorf("watermark %s: event %d raised %d alerts, want none before the eleventh", tc.watermark, i, len(as))
			}
			got = append(got, as...)
		}
		if atOnce := len(got) == 1; atOnce != tc.atOnce {
			t.Errorf("watermark %s: Process raised %q, want at once: %v", tc.watermark, keys(got), tc.atOnce)
		}
		got = append(got, e.Advance(wm.Add(2*time.Hour))...)
		if len(got) != 1 || got[0].ID != want || got[0].Count != 11 {
			t.Errorf("watermark %s: alerts %q, want one with the ID of 10:00's period", tc.watermark, keys(got))
		}
	}
}

// TestSlidingFailedShareWaits: a share of failures is not monotone (later
// successes lower it), so failed-logins decide only when the watermark
// passes the step: five failures followed, within the lateness, by six
// successes are no alert, in this order as in time order.
func TestSlidingFailedShareWaits(t *testing.T) {
	rs := mustRules(t, nil, "failed-logins")
	evs := tevs(t, append(repeat(5, "UserLoggedIn@T m1 outcome=failure", "2025-06-10T10:20:00Z", time.Second),
		repeat(6, "UserLoggedIn@T m1 outcome=success", "2025-06-10T10:20:30Z", time.Second)...))
	for name, order := range map[string][]event.Event{"failures first": evs, "shuffled": shuffled(evs, time.Minute, 3)} {
		e := mustEngine(t, rs)
		e.Advance(time.Date(2025, 6, 10, 10, 10, 0, 0, time.UTC))
		if got := keys(feed(e, order, time.Time{})); len(got) != 0 {
			t.Errorf("%s: alerts %q, want none: 5 of 11 attempts failed", name, got)
		}
	}
}

// TestSlidingSimOrders: the counting rules over the simulator's stream
// with planted anomalies give the same alert IDs oldest first, newest
// first (a first catch-up), newest first within each 10 minutes (polls)
// and shuffled within the lateness.
func TestSlidingSimOrders(t *testing.T) {
	evs := mustSim(t, pigmentsim.Config{Seed: 7, Members: 200, History: 48 * time.Hour, HistoryEvents: 40000, Anomalies: true})
	slices.SortStableFunc(evs, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
	rs := mustRules(t, nil, "bulk-deletion", "export-burst", "high-churn", "broad-access", "failed-logins")
	want := ids(feed(mustEngine(t, rs), evs, time.Time{}))
	if len(want) < 5 {
		t.Fatalf("only %d alerts: the test proves nothing", len(want))
	}
	t.Logf("%d alerts: %v", len(want), summary(feed(mustEngine(t, rs), evs, time.Time{})))
	newest := slices.Clone(evs)
	slices.Reverse(newest)
	polls := func() []Alert { // each 10 minutes newest first, the watermark after each
		e := mustEngine(t, rs)
		var out []Alert
		for i := 0; i < len(evs); {
			j := i
			for j < len(evs) && evs[j].Time.Before(evs[i].Time.Truncate(10*time.Minute).Add(10*time.Minute)) {
				j++
			}
			for k := j - 1; k >= i; k-- {
				out = append(out, e.Process(&evs[k])...)
			}
			out = append(out, e.Advance(evs[j-1].Time.Add(-e.Lateness()))...)
			i = j
		}
		return append(out, e.Advance(evs[len(evs)-1].Time.Add(72*time.Hour))...)
	}
	for name, got := range map[string][]string{
		"newest first":         ids(feedAll(mustEngine(t, rs), newest)),
		"newest first by poll": ids(polls()),
		"shuffled":             ids(feed(mustEngine(t, rs), shuffled(evs, 5*time.Minute, 9), time.Time{})),
	} {
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d alert IDs, want %d; differ: %v", name, len(got), len(want), symDiff(got, want))
		}
	}
}
