package detect

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// caseEvents renders the events of one inline test case, each moved by
// shift (years, then a duration).
func caseEvents(t *testing.T, tc TestCase, years int, d time.Duration) []event.Event {
	t.Helper()
	var out []event.Event
	for _, te := range tc.Events {
		te.Time = te.Time.AddDate(years, 0, 0).Add(d)
		for n := range max(te.Repeat, 1) {
			raw, err := te.render(n)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil {
				t.Fatalf("event %s: %v", te.ID, err)
			}
			out = append(out, ev)
		}
	}
	return out
}

// TestFarTimesPerRule takes every inline case of every built-in rule that
// expects an alert, and moves its events to where no genuine event can
// be: the year 1600 and the year 2300 (beyond what Unix nanoseconds hold),
// and a year or two days after the bound detect sets from the record's
// completeBefore. With only that rule enabled, none of
// them raises an alert, even once the watermark has passed them all, and
// each is counted: untimed (1600, 2300) or future.
func TestFarTimesPerRule(t *testing.T) {
	rs := mustRules(t, nil)
	for i, r := range rs.Rules {
		for _, tc := range r.Tests {
			if len(tc.Expect) == 0 {
				continue
			}
			one := rs
			one.Rules = []Rule{rs.Rules[i]}
			one.Rules[0].Enabled, one.Rules[0].Tests = true, nil
			first := tc.Events[0].Time
			for _, te := range tc.Events {
				if te.Time.Before(first) {
					first = te.Time
				}
			}
			tests := []struct {
				name       string
				years      int
				shift      time.Duration
				watermark  bool // the engine has a watermark and a bound (an hour before the case) first
				wantUntime int64
				wantFuture bool
			}{
				{"year 1600", 1600 - first.Year(), 0, false, 1, false},
				{"year 1600 after a watermark", 1600 - first.Year(), 0, true, 1, false},
				{"year 2300", 2300 - first.Year(), 0, false, 1, false},
				{"year 2300 after a watermark", 2300 - first.Year(), 0, true, 1, false},
				{"a year after the bound", 1, 0, true, 0, true},
				{"48h after the bound", 0, 49 * time.Hour, true, 0, true},
			}
			for _, tt := range tests {
				t.Run(r.ID+"/"+tc.Name+"/"+tt.name, func(t *testing.T) {
					e := mustEngine(t, one)
					var alerts []Alert
					if tt.watermark {
						alerts = append(alerts, e.Advance(first.Add(-time.Hour))...)
						e.SetBound(first.Add(-time.Hour))
					}
					evs := caseEvents(t, tc, tt.years, tt.shift)
					for j := range evs {
						alerts = append(alerts, e.Process(&evs[j])...)
					}
					// Past every window of the moved events, and of the original ones.
					for _, w := range []time.Time{first.Add(time.Hour), first.AddDate(1, 0, 0).Add(120 * time.Hour),
						time.Date(2261, 1, 1, 0, 0, 0, 0, time.UTC)} {
						alerts = append(alerts, e.Advance(w)...)
					}
					if len(alerts) != 0 {
						t.Errorf("%d events moved to %s: alerts %v, want none", len(evs), tt.name, keys(alerts))
					}
					s := e.Stats()
					n := int64(len(evs))
					if tt.wantUntime > 0 && s.Untimed != n {
						t.Errorf("Stats.Untimed = %d, want %d (every event)", s.Untimed, n)
					}
					if tt.wantFuture && s.Future != n {
						t.Errorf("Stats.Future = %d, want %d (every event)", s.Future, n)
					}
				})
			}
		}
	}
}

// TestMaxFuture: an event within maxFuture after the bound counts; one
// beyond it does not; without a bound, a gap in the stream (a quiet
// weekend) is no reason to refuse an event.
func TestMaxFuture(t *testing.T) {
	rs := mustRules(t, func(rs *RuleSet) { rs.MaxFuture = Duration(2 * time.Hour) }, "off-hours")
	e := mustEngine(t, rs)
	e.Advance(time.Date(2025, 6, 5, 20, 0, 0, 0, time.UTC))
	quiet := tev(t, 0, "UserLoggedIn@2025-06-10T21:00:00Z m0 outcome=success") // no bound: counted
	near := tev(t, 1, "UserLoggedIn@2025-06-10T22:00:00Z m1 outcome=success")  // bound + 2h: within
	far := tev(t, 2, "UserLoggedIn@2025-06-10T22:01:00Z m2 outcome=success")   // beyond
	var alerts []Alert
	alerts = append(alerts, e.Process(&quiet)...)
	e.SetBound(time.Date(2025, 6, 10, 20, 0, 0, 0, time.UTC)) // a Tuesday, 22:00 in Paris
	alerts = append(alerts, e.Process(&near)...)
	alerts = append(alerts, e.Process(&far)...)
	got := keys(alerts)
	want := []string{"off-hours actor:m0 count=1", "off-hours actor:m1 count=1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("alerts = %v, want %v", got, want)
	}
	if s := e.Stats(); s.Future != 1 {
		t.Errorf("Stats.Future = %d, want 1", s.Future)
	}
	if _, err := NewEngine(mustRules(t, func(rs *RuleSet) { rs.MaxFuture = Duration(-time.Hour) })); err == nil {
		t.Error("NewEngine with a negative maxFuture: no error")
	}
}

// TestFutureEventsMemory streams 20,000 events an hour for three hours, as
// detect does (watermark advanced every 100 events), once alone and once
// with 300 events dated in the future, each in an hour of its own, some
// within maxFuture and most far beyond. The future-dated events must not
// cost more than a few MB: their hours are neither sized like a full hour
// nor kept for ever; with the bound detect sets, those beyond maxFuture are
// counted as future and hold nothing.
func TestFutureEventsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MB before the fix")
	}
	const perHour, hours, future = 20000, 3, 300
	t0 := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	stream := func(withFuture bool) []event.Event {
		evs := make([]event.Event, 0, perHour*hours+future)
		step := time.Hour / perHour
		for i := range perHour * hours {
			at := t0.Add(time.Duration(i) * step)
			evs = append(evs, event.Event{ID: fmt.Sprintf("e%d", i), Type: "ApplicationAccessed", Time: at,
				ActorID: fmt.Sprintf("m%d", i%200), AppID: fmt.Sprintf("app-%d", i%50)})
			if withFuture && i%(perHour*hours/future) == 0 {
				k := len(evs)
				evs = append(evs, event.Event{ID: fmt.Sprintf("f%d", k), Type: "ApplicationAccessed",
					Time: at.Add(time.Duration(k%future+1) * 7 * time.Hour), ActorID: "clock-ahead", AppID: "app-1"})
			}
		}
		return evs
	}
	rs := mustRules(t, nil)
	held := func(evs []event.Event, bound bool) (uint64, Stats) {
		before := heap()
		e := mustEngine(t, rs)
		var newest time.Time
		for i := range evs {
			if bound { // as detect does: the record was produced about when its event was ingested
				e.SetBound(newest)
			}
			e.Process(&evs[i])
			if evs[i].ActorID != "clock-ahead" && evs[i].Time.After(newest) {
				newest = evs[i].Time
			}
			if i%100 == 99 {
				e.Advance(newest.Add(-e.Lateness()))
			}
		}
		after := heap()
		runtime.KeepAlive(e)
		runtime.KeepAlive(evs)
		if after < before {
			return 0, e.Stats()
		}
		return after - before, e.Stats()
	}
	plain, _ := held(stream(false), false)
	for _, bound := range []bool{false, true} {
		withFuture, s := held(stream(true), bound)
		t.Logf("bound %v: heap held %.1f MB without future-dated events, %.1f MB with %d (stats %+v)", bound, mb(plain), mb(withFuture), future, s)
		if withFuture > plain+8<<20 {
			t.Errorf("bound %v: heap held with %d future-dated events = %.1f MB, without = %.1f MB: want at most 8 MB more",
				bound, future, mb(withFuture), mb(plain))
		}
		if bound && s.Future < future*9/10 {
			t.Errorf("with a bound, Stats.Future = %d, want nearly all %d events dated 7h to 2100h ahead", s.Future, future)
		}
	}
}
