package detect

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// mustRules loads the default rules with only the named rules enabled
// (all when none is named), after applying edit if not nil.
func mustRules(tb testing.TB, edit func(*RuleSet), only ...string) RuleSet {
	tb.Helper()
	rs, err := LoadRules(DefaultRules())
	if err != nil {
		tb.Fatal(err)
	}
	for i := range rs.Rules {
		rs.Rules[i].Enabled = len(only) == 0 || slices.Contains(only, rs.Rules[i].ID)
	}
	if edit != nil {
		edit(&rs)
	}
	return rs
}

// ruleOf returns the rule with the given id in rs.
func ruleOf(rs *RuleSet, id string) *Rule {
	for i := range rs.Rules {
		if rs.Rules[i].ID == id {
			return &rs.Rules[i]
		}
	}
	panic("no rule " + id)
}

// mustEngine returns an engine for rs.
func mustEngine(tb testing.TB, rs RuleSet) *Engine {
	tb.Helper()
	e, err := NewEngine(rs)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// tev is a test event: "type@time actor [key=value...]" where time is
// RFC 3339 and keys are app, appName, ip, country, outcome or any metadata
// field; the event ID is "e<index>" unless eid= is given.
func tev(tb testing.TB, i int, spec string) event.Event {
	tb.Helper()
	f := strings.Fields(spec)
	typ, ts, _ := strings.Cut(f[0], "@")
	tm, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		tb.Fatalf("event %q: %v", spec, err)
	}
	te := TestEvent{ID: "e" + strconv.Itoa(i), Type: typ, Time: tm, Metadata: map[string]any{}}
	if len(f) > 1 {
		te.Actor = f[1]
		te.Email = f[1] + "@example.com"
	}
	fields := map[string]*string{"eid": &te.ID, "app": &te.App, "appName": &te.AppName, "ip": &te.IP,
		"country": &te.Country, "outcome": &te.Outcome}
	for _, kv := range f[min(2, len(f)):] {
		k, v, _ := strings.Cut(kv, "=")
		v = strings.ReplaceAll(v, "_", " ")
		if p := fields[k]; p != nil {
			*p = v
		} else {
			te.Metadata[k] = v
		}
	}
	raw, err := te.render(0)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := event.Parse(raw, event.KindEvent)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// tevs returns the test events of specs (see tev), the i-th with ID "e<i>".
func tevs(tb testing.TB, specs []string) []event.Event {
	tb.Helper()
	evs := make([]event.Event, len(specs))
	for i, s := range specs {
		evs[i] = tev(tb, i, s)
	}
	return evs
}

// feed processes events in order as a consumer would (Advance to the
// newest time minus lateness after each), then advances to end (zero: past
// every window), and returns the alerts.
func feed(e *Engine, evs []event.Event, end time.Time) []Alert {
	return stream(e, evs, time.Time{}, end)
}

// feedFrom continues feed on a restored engine whose newest event time was
// newest.
func feedFrom(e *Engine, evs []event.Event, newest time.Time) []Alert {
	return stream(e, evs, newest, time.Time{})
}

// stream is feed with the newest event time seen before evs.
func stream(e *Engine, evs []event.Event, newest, end time.Time) []Alert {
	var out []Alert
	for i := range evs {
		out = append(out, e.Process(&evs[i])...)
		if evs[i].Time.After(newest) {
			newest = evs[i].Time
		}
		out = append(out, e.Advance(newest.Add(-e.Lateness()))...)
	}
	if end.IsZero() {
		end = newest.Add(72 * time.Hour)
	}
	return append(out, e.Advance(end)...)
}

// processAll processes evs in the order given without moving the
// watermark, as a first catch-up arrives, and returns the alerts.
func processAll(e *Engine, evs []event.Event) []Alert {
	var out []Alert
	for i := range evs {
		out = append(out, e.Process(&evs[i])...)
	}
	return out
}

// feedAll processes every event before advancing the watermark, as detect
// does with a first catch-up served newest first (its completeBefore is
// the start of the backlog), then advances past every window.
func feedAll(e *Engine, evs []event.Event) []Alert {
	out := processAll(e, evs)
	var newest time.Time
	for i := range evs {
		if evs[i].Time.After(newest) {
			newest = evs[i].Time
		}
	}
	return append(out, e.Advance(newest.Add(72*time.Hour))...)
}

// restarted returns an engine for rs restored from e's saved state, as
// detect resumes after a restart, and whether it saves the same state
// again.
func restarted(tb testing.TB, e *Engine, rs RuleSet) (*Engine, bool) {
	tb.Helper()
	state, err := e.MarshalState()
	if err != nil {
		tb.Fatal(err)
	}
	b := restored(tb, rs, state)
	again, err := b.MarshalState()
	return b, err == nil && string(again) == string(state)
}

// restored returns an engine for rs with the saved state.
func restored(tb testing.TB, rs RuleSet, state []byte) *Engine {
	tb.Helper()
	e := mustEngine(tb, rs)
	if err := e.UnmarshalState(state); err != nil {
		tb.Fatal(err)
	}
	return e
}

// resumedAt runs evs through an engine for rs up to cut, restarts it from
// its saved state and runs the rest, as detect does across a restart. It
// returns the alerts, and whether the restored engine saved the same state.
func resumedAt(tb testing.TB, rs RuleSet, evs []event.Event, cut int) ([]Alert, bool) {
	tb.Helper()
	a := mustEngine(tb, rs)
	got := feed(a, evs[:cut], evs[cut-1].Time.Add(-a.Lateness()))
	b, same := restarted(tb, a, rs)
	return append(got, feedFrom(b, evs[cut:], evs[cut-1].Time)...), same
}

// savedSnapshot returns e's saved state decoded, for tests that rewrite it
// as an older version wrote it.
func savedSnapshot(tb testing.TB, e *Engine) snapshot {
	tb.Helper()
	state, err := e.MarshalState()
	if err != nil {
		tb.Fatal(err)
	}
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(state)).Decode(&s); err != nil {
		tb.Fatal(err)
	}
	return s
}

// encodeState returns s as a saved state.
func encodeState(tb testing.TB, s snapshot) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&s); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// refusesVersion1 checks that s saved as version 1 is refused, with an
// error naming the version.
func refusesVersion1(t *testing.T, rs RuleSet, s snapshot) {
	t.Helper()
	s.Version = 1
	if err := mustEngine(t, rs).UnmarshalState(encodeState(t, s)); err == nil || !strings.Contains(err.Error(), "version 1") {
		t.Errorf("UnmarshalState(version 1) = %v, want an error naming the version", err)
	}
}

// keys returns "rule key count" for each alert, sorted.
func keys(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, ExpectedAlert{a.Rule, a.Key, a.Count}.String())
	}
	slices.Sort(out)
	return out
}

// ids returns the sorted IDs of alerts.
func ids(as []Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

var simNow = time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)

// mustSimEvents returns n events rendered by the simulator over history,
// parsed, in the simulator's (newest ingested first) order.
func mustSimEvents(tb testing.TB, n int, history time.Duration, members int) []event.Event {
	tb.Helper()
	return mustSim(tb, pigmentsim.Config{Seed: 11, Members: members, History: history, HistoryEvents: n})
}

// mustSim returns the backlog of a simulator configured by c (APIKey,
// PageSize and Clock are set here), parsed, in the simulator's order: its
// first HistoryEvents events (with Anomalies, planted events may make
// more; they are left out).
func mustSim(tb testing.TB, c pigmentsim.Config) []event.Event {
	tb.Helper()
	c.APIKey, c.PageSize, c.Clock = "k", c.HistoryEvents, func() time.Time { return simNow }
	// With Anomalies the backlog may start before now-History (it always
	// holds the plant day): ask for a few more days.
	history := c.History + 96*time.Hour
	sim, err := pigmentsim.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	evs, _ := simPage(tb, sim, simNow.Add(-history-time.Hour))
	return evs
}

// simBacklog returns every event sim serves ingested since, parsed, in the
// simulator's order (one page: PageSize must hold them all).
func simBacklog(tb testing.TB, sim *pigmentsim.Sim, since time.Time) []event.Event {
	tb.Helper()
	evs, more := simPage(tb, sim, since)
	if more {
		tb.Fatalf("simulator served %d events and more: raise PageSize", len(evs))
	}
	return evs
}

// simPage returns the first page of events sim serves ingested since,
// parsed, in the simulator's order, and whether more follow.
func simPage(tb testing.TB, sim *pigmentsim.Sim, since time.Time) ([]event.Event, bool) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/audit/v1/events?ingestedSince="+since.Format(time.RFC3339), nil)
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	sim.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("simulator answered %d: %s", rec.Code, rec.Body)
	}
	var page struct {
		Events     []json.RawMessage
		Pagination struct{ NextCursor string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		tb.Fatal(err)
	}
	out := make([]event.Event, 0, len(page.Events))
	for _, raw := range page.Events {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, ev)
	}
	return out, page.Pagination.NextCursor != ""
}
