package detect

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// rawEv parses one event given as JSON in either envelope; its ingestion
// time is its event time plus a minute.
func rawEv(tb testing.TB, raw string) event.Event {
	tb.Helper()
	ev, err := event.Parse([]byte(raw), event.KindEvent)
	if err != nil {
		tb.Fatalf("%s: %v", raw, err)
	}
	if ev.Ingested.IsZero() {
		ev.Ingested = ev.Time.Add(time.Minute)
	}
	return ev
}

// The shapes a deactivation (or reactivation) names the member in: the
// described envelope's metadata and target object, the public payload.
func deactShapes(typ, id, at, member, email string) []string {
	return []string{
		fmt.Sprintf(`{"eventId":%q,"eventType":"Member%s","eventTimestamp":%q,"actor":{"memberId":"admin"},"metadata":{"targetMemberId":%q,"targetEmail":%q}}`, id, typ, at, member, email),
		fmt.Sprintf(`{"eventId":%q,"eventType":"Member%s","eventTimestamp":%q,"actor":{"memberId":"admin"},"metadata":{"memberId":%q}}`, id, typ, at, member),
		fmt.Sprintf(`{"eventId":%q,"eventType":"Member%s","eventTimestamp":%q,"actor":{"memberId":"admin"},"target":{"memberId":%q,"applicationId":null}}`, id, typ, at, member),
		fmt.Sprintf(`{"eventId":%q,"eventType":"Member%s","eventTimestamp":%q,"actor":{"memberId":"admin"},"metadata":{"user":{"email":%q}}}`, id, typ, at, email),
		fmt.Sprintf(`{"eventId":%q,"eventType":"User%s","eventTimestamp":%q,"actor":{"user":{"id":"admin"}},"payload":{"id":%q,"name":"N","email":%q}}`, id, typ, at, member, email),
		fmt.Sprintf(`{"eventId":%q,"eventType":"User%s","eventTimestamp":%q,"actor":{"user":{"id":"admin"}},"payload":{"userId":%q}}`, id, typ, at, member),
	}
}

func activity(id, at, member string) string {
	return fmt.Sprintf(`{"eventId":%q,"eventType":"UserLoggedIn","eventTimestamp":%q,"actor":{"memberId":%q,"email":"%s@x.io"},"metadata":{"outcome":"success"}}`, id, at, member, member)
}

// backlog processes evs as one first catch-up delivers them: in the given
// order, with the watermark where extract's completeBefore leaves it
// (before them all), then advances past every window.
func backlog(e *Engine, evs []event.Event) []Alert {
	return append(processAll(e, evs), e.Advance(evs[0].Time.Add(7*24*time.Hour))...)
}

// TestDeactivatedOrder: the two cases, in every envelope's shape,
// in both arrival orders: deactivated 11:00, reactivated 12:00, active
// 13:00 raises nothing; deactivated 11:00 by an admin, active 13:00 raises
// one alert on the member.
func TestDeactivatedOrder(t *testing.T) {
	for i, deact := range deactShapes("Deactivated", "d", "2025-06-10T11:00:00Z", "m5", "m5@x.io") {
		react := deactShapes("Reactivated", "r", "2025-06-10T12:00:00Z", "m5", "m5@x.io")[i]
		for _, tc := range []struct {
			name string
			evs  []string
			want []string
		}{
			{"reactivated", []string{deact, react, activity("a", "2025-06-10T13:00:00Z", "m5")}, nil},
			{"deactivated", []string{deact, activity("a", "2025-06-10T13:00:00Z", "m5")}, []string{"deactivated-activity actor:m5 count=1"}},
			{"before the deactivation", []string{activity("a", "2025-06-10T10:59:00Z", "m5"), deact}, nil},
		} {
			for _, order := range []string{"oldest first", "newest first"} {
				var evs []event.Event
				for _, s := range tc.evs {
					evs = append(evs, rawEv(t, s))
				}
				slices.SortFunc(evs, func(a, b event.Event) int { return a.Time.Compare(b.Time) })
				if order == "newest first" {
					slices.Reverse(evs)
				}
				e := mustEngine(t, mustRules(t, nil, "deactivated-activity"))
				if got := keys(backlog(e, evs)); !slices.Equal(got, tc.want) {
					t.Errorf("shape %d, %s, %s: alerts = %q, want %q\n%s", i, tc.name, order, got, tc.want, deact)
				}
			}
		}
	}
}

// labelled is the simulator's stream with planted anomalies, plus the
// issue's cases: m-react is deactivated, reactivated and active (no
// alert); m-admin is deactivated by an admin in the described envelope and
// active two hours later (one alert); m-pub the same in the public one.
func labelled(tb testing.TB) ([]event.Event, []string) {
	evs := mustSim(tb, pigmentsim.Config{Seed: 7, Members: 60, History: 48 * time.Hour, HistoryEvents: 15000, Anomalies: true})
	day := "2025-06-09T"
	for _, s := range []string{
		deactShapes("Deactivated", "x1", day+"11:00:00Z", "m-react", "")[1],
		deactShapes("Reactivated", "x2", day+"12:00:00Z", "m-react", "")[4],
		activity("x3", day+"13:00:00Z", "m-react"),
		deactShapes("Deactivated", "x4", day+"11:00:00Z", "m-admin", "")[1],
		activity("x5", day+"13:00:00Z", "m-admin"),
		deactShapes("Deactivated", "x6", day+"11:00:00Z", "m-pub", "m-pub@x.io")[4],
		activity("x7", day+"13:00:00Z", "m-pub"),
	} {
		evs = append(evs, rawEv(tb, s))
	}
	want := []string{"deactivated-activity actor:m-admin count=1", "deactivated-activity actor:m-pub count=1"}
	return byIngestion(evs), want
}

// polled processes evs (sorted by ingestion) as detect receives them from
// extract: one poll per window of ingestion time, each poll's events in
// the order given by newestFirst, the watermark advanced after each poll to
// its end (completeBefore) minus the lateness. A poll of 0 is one poll.
func polled(e *Engine, evs []event.Event, poll time.Duration, newestFirst bool) []Alert {
	var out []Alert
	for i := 0; i < len(evs); {
		end := evs[len(evs)-1].Ingested.Add(time.Nanosecond)
		if poll > 0 {
			end = evs[i].Ingested.Truncate(poll).Add(poll)
		}
		j := i
		for j < len(evs) && evs[j].Ingested.Before(end) {
			j++
		}
		page := slices.Clone(evs[i:j])
		if newestFirst {
			slices.Reverse(page)
		}
		out = append(out, processAll(e, page)...)
		out = append(out, e.Advance(end.Add(-e.Lateness()))...)
		i = j
	}
	return append(out, e.Advance(evs[len(evs)-1].Ingested.Add(72*time.Hour))...)
}

// TestDeactivatedArrivalOrders: the labelled stream oldest first, newest
// first (one catch-up) and newest first per 5-minute poll gives the same
// alert IDs, the planted anomaly and the cases among them; and so
// does stopping mid-stream and resuming from the saved state.
func TestDeactivatedArrivalOrders(t *testing.T) {
	evs, wantKeys := labelled(t)
	rs := mustRules(t, nil, "deactivated-activity")
	want := polled(mustEngine(t, rs), evs, 5*time.Minute, false)
	for _, k := range wantKeys {
		if !slices.Contains(keys(want), k) {
			t.Errorf("oldest first: alerts %q lack %q", keys(want), k)
		}
	}
	if got := keys(want); slices.Contains(got, "deactivated-activity actor:m-react count=1") || len(got) != 3 {
		t.Errorf("oldest first: alerts %q, want the planted one and %q", got, wantKeys)
	}
	for _, o := range []struct {
		name        string
		poll        time.Duration
		newestFirst bool
	}{{"newest first", 0, true}, {"newest first per poll", 5 * time.Minute, true}, {"oldest first, one catch-up", 0, false}} {
		if got := ids(polled(mustEngine(t, rs), evs, o.poll, o.newestFirst)); !slices.Equal(got, ids(want)) {
			t.Errorf("%s: alert IDs differ: %v", o.name, symDiff(got, ids(want)))
		}
	}
	// Saved mid-stream (the newest-first catch-up, half processed) and
	// restored: the same alerts.
	rev := slices.Clone(evs)
	slices.Reverse(rev)
	a := mustEngine(t, rs)
	got := processAll(a, rev[:len(rev)/2])
	b, _ := restarted(t, a, rs)
	got = append(got, processAll(b, rev[len(rev)/2:])...)
	got = append(got, b.Advance(evs[len(evs)-1].Ingested.Add(72*time.Hour))...)
	if g, w := alertJSON(t, got), alertJSON(t, polled(mustEngine(t, rs), evs, 0, true)); g != w {
		t.Errorf("restored mid-stream: alerts differ:\n%s", lineDiff(g, w))
	}
}

// TestDeactivatedPlanted: the simulator's planted activity after
// deactivation is found in both envelopes, oldest first and newest first,
// on the planted member, and nothing else is.
func TestDeactivatedPlanted(t *testing.T) {
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		c := pigmentsim.Config{Seed: 5, Members: 40, History: 24 * time.Hour, HistoryEvents: 5000, Anomalies: true, Shape: shape}
		evs := byIngestion(mustSim(t, c))
		c.APIKey, c.PageSize, c.Clock = "k", c.HistoryEvents, func() time.Time { return simNow }
		sim, err := pigmentsim.New(c)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, p := range sim.Planted() {
			if p.Kind == pigmentsim.AnomalyActivityAfterDeactivation {
				want = append(want, "deactivated-activity actor:"+p.ActorID+" count=1")
			}
		}
		rs := mustRules(t, nil, "deactivated-activity")
		for _, newestFirst := range []bool{false, true} {
			if got := keys(polled(mustEngine(t, rs), evs, 0, newestFirst)); len(want) != 1 || !slices.Equal(got, want) {
				t.Errorf("%s, newest first %v: alerts %q, want %q", shape, newestFirst, got, want)
			}
		}
	}
}

// TestStateVersion2: a state saved before status histories (version 2: a
// deactivation time per member) loads, its deactivations still holding; a
// version 1 state is refused.
func TestStateVersion2(t *testing.T) {
	rs := mustRules(t, nil, "deactivated-activity")
	e := mustEngine(t, rs)
	e.Advance(time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC))
	s := savedSnapshot(t, e)
	s.Version = 2
	s.Deact = []snapDeact{{ID: "m5", At: time.Date(2025, 6, 9, 10, 0, 0, 0, time.UTC).UnixNano()}}
	s.Recent = []snapRecent{{Actor: "m5", Times: make([]int64, 4), IDs: make([]string, 4), Types: make([]string, 4)}}
	b := mustEngine(t, rs)
	if err := b.UnmarshalState(encodeState(t, s)); err != nil {
		t.Fatalf("UnmarshalState(version 2) = %v", err)
	}
	ev := rawEv(t, activity("a", "2025-06-10T11:00:00Z", "m5"))
	got := append(b.Process(&ev), b.Advance(ev.Time.Add(time.Hour))...)
	if k := keys(got); !slices.Equal(k, []string{"deactivated-activity actor:m5 count=1"}) {
		t.Errorf("after a version 2 state: alerts %q, want one on m5", k)
	}
	refusesVersion1(t, rs, s)
}

// TestDeactivatedEvidence: the alert's evidence is the activity and the
// deactivation; two events naming one change give the same evidence in
// either order.
func TestDeactivatedEvidence(t *testing.T) {
	evs := []event.Event{
		rawEv(t, deactShapes("Deactivated", "z-deact", "2025-06-10T11:00:00Z", "m5", "m5@x.io")[0]),
		rawEv(t, deactShapes("Deactivated", "b-deact", "2025-06-10T11:00:00Z", "m5", "m5@x.io")[4]),
		rawEv(t, activity("act", "2025-06-10T11:30:00Z", "m5")),
	}
	for _, order := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 0, 1}} {
		var in []event.Event
		for _, i := range order {
			in = append(in, evs[i])
		}
		got := backlog(mustEngine(t, mustRules(t, nil, "deactivated-activity")), in)
		if len(got) != 1 || !slices.Equal(got[0].Evidence, []string{"act", "b-deact"}) {
			t.Errorf("order %v: alerts %+v, want one with evidence [act b-deact]", order, got)
		}
	}
}
