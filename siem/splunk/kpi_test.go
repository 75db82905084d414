package splunkapp

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// TestKPIDefinitions checks that the app counts what internal/kpi counts
// (and with it the Kibana dashboards and the weekly report): the event
// types of changes, security events, logins and data operations, and the
// default thresholds and targets. A Splunk "daily changes" that also
// counted data edits, imports and member changes would alert on a number
// no other part of the pipeline computes.
func TestKPIDefinitions(t *testing.T) {
	macros := appMacros(t)
	for _, c := range []struct {
		macro string
		want  []string
	}{
		{"pigment_changes", kpi.TypesChange},
		{"pigment_security_events", kpi.TypesSecurity},
	} {
		m, err := parseEventtype(`sourcetype="x" ` + macros[c.macro])
		if err != nil {
			t.Errorf("macro %s: %v", c.macro, err)
			continue
		}
		if got := sorted(m.types); !slices.Equal(got, sorted(c.want)) {
			t.Errorf("macro %s counts %q, want internal/kpi's %q", c.macro, got, sorted(c.want))
		}
	}
	inLists := map[string][]string{}
	for _, m := range kpiTypeList.FindAllStringSubmatch(macros["pigment_kpis"], -1) {
		var types []string
		for _, q := range strings.Split(m[2], ",") {
			s, err := strconv.Unquote(strings.TrimSpace(q))
			if err != nil {
				t.Fatalf("pigment_kpis %s: %q is not a quoted event type", m[1], q)
			}
			types = append(types, s)
		}
		inLists[m[1]] = sorted(types)
	}
	for name, want := range map[string][]string{
		"is_change": kpi.TypesChange, "is_login": kpi.TypesLogin, "is_operation": kpi.TypesOperation,
	} {
		if got := inLists[name]; !slices.Equal(got, sorted(want)) {
			t.Errorf("pigment_kpis %s=if(in(eventType, ...)) is %q, want internal/kpi's %q", name, got, sorted(want))
		}
	}
	th := kpi.DefaultThresholds()
	for macro, want := range map[string]float64{
		"pigment_daily_changes_threshold":         float64(th.DailyChanges),
		"pigment_daily_security_events_threshold": float64(th.DailySecurityEvents),
		"pigment_failed_logins_pct":               100 * th.FailedLoginShare,
		"pigment_api_error_pct":                   100 * th.APIErrorRate,
		"pigment_weekly_change_growth_pct":        100 * kpi.ChangeTolerance,
	} {
		if got, err := strconv.ParseFloat(macros[macro], 64); err != nil || got != want {
			t.Errorf("macro %s = %q, want internal/kpi's default %v", macro, macros[macro], want)
		}
	}
}

// kpiTypeList matches pigment_kpis' "is_x=if(in(eventType, "A", "B"), 1, 0)".
var kpiTypeList = regexp.MustCompile(`(is_\w+)=if\(in\(eventType, ([^)]*)\)`)

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }
