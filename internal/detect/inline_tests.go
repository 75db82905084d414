package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestCase is an inline test of a rule: events in, expected alerts out.
// RunTests runs it with only its rule enabled.
type TestCase struct {
	Name   string      `yaml:"name"`
	Events []TestEvent `yaml:"events"`
	// Watermark, when set, is passed to Advance after the events; by
	// default the run ends with a watermark past every window.
	Watermark *time.Time      `yaml:"watermark"`
	Expect    []ExpectedAlert `yaml:"expect"`
}

// TestEvent is one event of a test case, rendered as a Pigment event in
// the described envelope. Repeat (with Every, default 1m) makes that many
// events, the n-th with ID "<id>-<n>" and time Time + n*Every.
type TestEvent struct {
	ID       string         `yaml:"id"`
	Type     string         `yaml:"type"`
	Time     time.Time      `yaml:"time"`
	Actor    string         `yaml:"actor"`
	Email    string         `yaml:"email"`
	App      string         `yaml:"app"`
	AppName  string         `yaml:"appName"`
	IP       string         `yaml:"ip"`
	Country  string         `yaml:"country"`
	Outcome  string         `yaml:"outcome"`
	Metadata map[string]any `yaml:"metadata"`
	Repeat   int            `yaml:"repeat"`
	Every    Duration       `yaml:"every"`
}

// ExpectedAlert is an alert a test expects: its rule (default the rule
// under test), key and count (0: any count).
type ExpectedAlert struct {
	Rule  string `yaml:"rule"`
	Key   string `yaml:"key"`
	Count int    `yaml:"count"`
}

func (x ExpectedAlert) String() string { return fmt.Sprintf("%s %s count=%d", x.Rule, x.Key, x.Count) }

// TestResult is the outcome of one test case. Diff lists the expected
// alerts not produced ("- ") and the alerts produced but not expected
// ("+ "), one a line; Err is set when the case could not run.
type TestResult struct {
	Rule, Name string
	Pass       bool
	Diff       string
	Err        error
}

// RunTests runs every inline test case of every rule in rs, enabled or
// not, each on a fresh engine with only that rule enabled. Events are
// processed in the order given, with Advance called after each one as a
// consumer would (newest event time minus lateness), so a test can show
// that a late event is not counted.
func RunTests(rs RuleSet) []TestResult {
	var out []TestResult
	for i, r := range rs.Rules {
		for _, tc := range r.Tests {
			res := TestResult{Rule: r.ID, Name: tc.Name}
			got, err := runCase(rs, i, tc)
			if err != nil {
				res.Err = err
				res.Diff = err.Error()
			} else {
				res.Diff = diff(r.ID, tc.Expect, got)
				res.Pass = res.Diff == ""
			}
			out = append(out, res)
		}
	}
	return out
}

// runCase runs one test case of rule i and returns its alerts.
func runCase(rs RuleSet, i int, tc TestCase) ([]Alert, error) {
	one := rs
	one.Rules = []Rule{rs.Rules[i]}
	one.Rules[0].Enabled = true
	one.Rules[0].Tests = nil
	e, err := NewEngine(one)
	if err != nil {
		return nil, err
	}
	var alerts []Alert
	newest := int64(math.MinInt64)
	for _, te := range tc.Events {
		for n := range max(te.Repeat, 1) {
			raw, err := te.render(n)
			if err != nil {
				return nil, err
			}
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil {
				return nil, fmt.Errorf("event %s: %w", te.ID, err)
			}
			alerts = append(alerts, e.Process(&ev)...)
			newest = max(newest, ev.Time.UnixNano())
			alerts = append(alerts, e.Advance(utc(newest-e.cfg.lateness))...)
		}
	}
	wm := utc(newest + e.cfg.horizon + e.cfg.lateness + 2*hour)
	if tc.Watermark != nil {
		wm = *tc.Watermark
	}
	return append(alerts, e.Advance(wm)...), nil
}

// render returns the n-th event of te as described-envelope JSON.
func (te TestEvent) render(n int) ([]byte, error) {
	id, t := te.ID, te.Time
	if te.Repeat > 1 {
		id = fmt.Sprintf("%s-%d", te.ID, n+1)
		t = t.Add(time.Duration(n) * time.Duration(cmp.Or(te.Every, Duration(time.Minute))))
	}
	meta := map[string]any{}
	for k, v := range te.Metadata {
		meta[k] = v
	}
	for k, v := range map[string]string{"ipAddress": te.IP, "country": te.Country, "outcome": te.Outcome} {
		if v != "" {
			meta[k] = v
		}
	}
	return json.Marshal(map[string]any{
		"eventId": id, "eventType": te.Type, "eventTimestamp": t.Format(time.RFC3339Nano),
		"actor":    map[string]string{"memberId": te.Actor, "email": te.Email},
		"target":   map[string]string{"applicationId": te.App, "applicationName": te.AppName},
		"metadata": meta,
	})
}

// diff compares expected and produced alerts as sorted lines.
func diff(ruleID string, want []ExpectedAlert, got []Alert) string {
	var missing, extra []string
	used := make([]bool, len(got))
	for _, w := range want {
		w.Rule = cmp.Or(w.Rule, ruleID)
		found := false
		for j, a := range got {
			if !used[j] && a.Rule == w.Rule && a.Key == w.Key && (w.Count == 0 || a.Count == w.Count) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, "- "+w.String())
		}
	}
	for j, a := range got {
		if !used[j] {
			extra = append(extra, "+ "+ExpectedAlert{a.Rule, a.Key, a.Count}.String())
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return strings.Join(append(missing, extra...), "\n")
}
