package detect

import (
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
	for _, kv := range f[min(2, len(f)):] {
		k, v, _ := strings.Cut(kv, "=")
		v = strings.ReplaceAll(v, "_", " ")
		switch k {
		case "eid":
			te.ID = v
		case "app":
			te.App = v
		case "appName":
			te.AppName = v
		case "ip":
			te.IP = v
		case "country":
			te.Country = v
		case "outcome":
			te.Outcome = v
		default:
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

// feed processes events in order as a consumer would (Advance to the
// newest time minus lateness after each), then advances to end (zero: past
// every window), and returns the alerts.
func feed(e *Engine, evs []event.Event, end time.Time) []Alert {
	var out []Alert
	var newest time.Time
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
// PageSize and Clock are set here), parsed, in the simulator's order.
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
	req := httptest.NewRequest(http.MethodGet, "/api/audit/v1/events?ingestedSince="+simNow.Add(-history-time.Hour).Format(time.RFC3339), nil)
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	sim.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("simulator answered %d: %s", rec.Code, rec.Body)
	}
	var page struct{ Events []json.RawMessage }
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
	return out
}
