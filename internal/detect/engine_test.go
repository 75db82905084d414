package detect

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// byIngestion returns events sorted by ingestion time, as a consumer of the
// events topic sees them.
func byIngestion(evs []event.Event) []event.Event {
	s := slices.Clone(evs)
	slices.SortStableFunc(s, func(a, b event.Event) int { return a.Ingested.Compare(b.Ingested) })
	return s
}

// shuffled returns evs sorted by event time plus a random delay of up to
// d: every event moves by less than d, the lateness it must tolerate.
func shuffled(evs []event.Event, d time.Duration, seed uint64) []event.Event {
	r := rand.New(rand.NewPCG(seed, seed))
	type item struct {
		at time.Time
		ev event.Event
	}
	items := make([]item, len(evs))
	for i, ev := range evs {
		items[i] = item{ev.Time.Add(time.Duration(r.Int64N(int64(d)))), ev}
	}
	slices.SortFunc(items, func(a, b item) int { return a.at.Compare(b.at) })
	out := make([]event.Event, len(items))
	for i := range items {
		out[i] = items[i].ev
	}
	return out
}

func summary(as []Alert) map[string]int {
	m := map[string]int{}
	for _, a := range as {
		m[a.Rule]++
	}
	return m
}

// TestReplayDeterminism: the same events in ingestion order, shuffled
// within the lateness, or processed twice give the same alert IDs.
func TestReplayDeterminism(t *testing.T) {
	evs := byIngestion(mustSimEvents(t, 30000, 72*time.Hour, 60))
	rs := mustRules(t, nil)
	want := ids(feed(mustEngine(t, rs), evs, time.Time{}))
	if len(want) < 10 {
		t.Fatalf("only %d alerts from the simulator: the test proves nothing", len(want))
	}
	t.Logf("%d alerts: %v", len(want), summary(feed(mustEngine(t, rs), evs, time.Time{})))
	for seed := range uint64(3) {
		got := ids(feed(mustEngine(t, rs), shuffled(evs, 5*time.Minute, seed), time.Time{}))
		if !slices.Equal(got, want) {
			t.Errorf("shuffled (seed %d): %d alert IDs, want %d; differ: %v", seed, len(got), len(want), symDiff(got, want))
		}
	}
	e := mustEngine(t, rs)
	got := ids(append(feed(e, evs, evs[len(evs)-1].Time), feed(e, evs, time.Time{})...))
	if !slices.Equal(got, want) {
		t.Errorf("processed twice: %d alert IDs, want %d; differ: %v", len(got), len(want), symDiff(got, want))
	}
	if s := e.Stats(); s.Duplicates+s.Late < int64(len(evs))*9/10 {
		t.Errorf("second pass: stats %+v, want nearly every event a duplicate or late", s)
	}
}

func symDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "+"+x)
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "-"+x)
		}
	}
	return out
}

// TestStateRoundTrip: saving the state mid-stream and restoring it into a
// new engine (a restart) gives the same alerts as an uninterrupted run.
func TestStateRoundTrip(t *testing.T) {
	evs := byIngestion(mustSimEvents(t, 20000, 48*time.Hour, 60))
	rs := mustRules(t, nil)
	want := feed(mustEngine(t, rs), evs, time.Time{})
	for _, cut := range []int{1, len(evs) / 3, len(evs) / 2} {
		got, same := resumedAt(t, rs, evs, cut)
		if !same {
			t.Errorf("cut %d: state changed by a round trip", cut)
		}
		if g, w := alertJSON(t, got), alertJSON(t, want); g != w {
			t.Errorf("cut %d: restarted run differs from the uninterrupted one:\n%s", cut, lineDiff(g, w))
		}
	}
}

func alertJSON(t *testing.T, as []Alert) string {
	var lines []string
	for _, a := range as {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func lineDiff(got, want string) string {
	return strings.Join(symDiff(strings.Split(got, "\n"), strings.Split(want, "\n")), "\n")
}

// TestAlertJSON pins the alert's JSON field names.
func TestAlertJSON(t *testing.T) {
	e := mustEngine(t, mustRules(t, everyEvent, "security-config"))
	ev := tev(t, 0, "APIKeyCreated@2025-06-10T10:00:00Z m1")
	as := e.Process(&ev)
	if len(as) != 1 {
		t.Fatalf("Process = %d alerts, want 1", len(as))
	}
	b, _ := json.Marshal(as[0])
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"actor", "actorEmail", "count", "description", "evidence", "firstEventTime", "id", "lastEventTime",
		"mitre", "rule", "runbook", "severity", "title", "window"}
	if !slices.Equal(got, want) {
		t.Errorf("alert JSON keys = %v, want %v\n%s", got, want, b)
	}
	if as[0].ID != alertID("security-config", "actor:m1|APIKeyCreated", time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC).UnixNano()) {
		t.Errorf("alert ID %s is not the name-based UUID of rule|key|period start", as[0].ID)
	}
	// The parser of the forwarders reads it back.
	if p, err := event.Parse(b, event.KindAlert); err != nil || p.Type != "security-config" || p.Severity != "medium" {
		t.Errorf("event.Parse(alert) = %+v, %v", p, err)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	for _, y := range []string{
		"rules: [{id: x, detector: nope, severity: low}]",
		"rules: [{id: x, detector: match, severity: urgent}]",
		"rules: [{id: x, detector: match, severity: low, tresholds: 3}]",
		"rules: [{id: x, detector: threshold, severity: low, window: 1h, suppression: 90m}]",
		"rules: [{id: x, detector: threshold, severity: low, window: fortnight}]",
		"timezone: Mars/Olympus\nrules: [{id: x, detector: match, severity: low, enabled: true}]",
		"rules: [{id: x, detector: match, severity: low}, {id: x, detector: match, severity: low}]",
	} {
		if _, err := LoadRules([]byte(y)); err == nil {
			t.Errorf("LoadRules(%q) = nil error, want one", y)
		}
	}
}
