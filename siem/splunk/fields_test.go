package splunkapp

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/transform"
)

const goldenHEC = "../../internal/transform/testdata/hec"

// splunkFields are fields Splunk itself gives every event.
var splunkFields = []string{"_time", "_raw", "index", "sourcetype", "source", "host", "eventtype", "tag", "linecount", "splunk_server"}

// flatten adds the field names Splunk's KV_MODE=json gives the JSON value v:
// nested keys joined with dots, arrays as name{}.
func flatten(into map[string]bool, prefix string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flatten(into, name, e)
		}
	case []any:
		for _, e := range x {
			flatten(into, prefix+"{}", e)
		}
	default:
		into[prefix] = true
	}
}

// addHEC adds the fields of one HEC event (its JSON event and its indexed
// fields) to produced, by sourcetype.
func addHEC(tb testing.TB, produced map[string]map[string]bool, line []byte) {
	tb.Helper()
	var env struct {
		Sourcetype string
		Event      any
		Fields     map[string]any
	}
	if err := json.Unmarshal(line, &env); err != nil {
		tb.Fatalf("HEC event %.200s: %v", line, err)
	}
	set := produced[env.Sourcetype]
	if set == nil {
		set = map[string]bool{}
		produced[env.Sourcetype] = set
	}
	flatten(set, "", env.Event)
	for k := range env.Fields {
		set[k] = true
	}
}

// producedFields returns, by sourcetype, the fields of the HEC golden files,
// of the HEC events made of every simulator event in both vocabularies, and
// of the HEC event of an alert with every field set (detect's and the
// KPI fields of internal/kpi's).
func producedFields(tb testing.TB) map[string]map[string]bool {
	tb.Helper()
	produced := map[string]map[string]bool{}
	files, err := filepath.Glob(filepath.Join(goldenHEC, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no HEC golden files in %s: %v", goldenHEC, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		addHEC(tb, produced, data)
	}
	var line []byte
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		for _, raw := range mustSimEvents(tb, shape) {
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil {
				tb.Fatal(err)
			}
			line = transform.AppendHEC(line[:0], &ev, transform.HECOptions{})
			addHEC(tb, produced, line)
		}
	}
	alert := detect.Alert{
		ID: "a-1", Rule: "bulk-deletion", Severity: "high", Title: "t", Description: "d",
		Actor: "m-1", ActorEmail: "ann@acme.io", Application: "app-1",
		Window:         detect.Window{Start: simNow.Add(-time.Hour), End: simNow},
		FirstEventTime: simNow.Add(-time.Hour), LastEventTime: simNow, Count: 11,
		Evidence: []string{"e-1", "e-2"}, Mitre: "T1485", Runbook: "r", Truncated: true,
		KPI: "naming_violations", Value: new(float64), Target: new(float64), Status: "ok",
	}
	raw, err := json.Marshal(alert)
	if err != nil {
		tb.Fatal(err)
	}
	ev, err := event.Parse(raw, event.KindAlert)
	if err != nil {
		tb.Fatal(err)
	}
	addHEC(tb, produced, transform.AppendHEC(nil, &ev, transform.HECOptions{}))
	return produced
}

// appMacros returns macros.conf's definitions by name.
func appMacros(tb testing.TB) map[string]string {
	tb.Helper()
	macros := map[string]string{}
	for _, s := range mustConf(tb, "default/macros.conf").stanzas {
		if s.get("iseval") != "0" || strings.Contains(s.name, "(") {
			tb.Errorf("macros.conf [%s]: want iseval = 0 and no arguments", s.name)
		}
		macros[s.name] = s.get("definition")
	}
	return macros
}

// appSearch is one search of the app, by where it is.
type appSearch struct{ where, query string }

// appSearches returns every search of the app: dashboards' data sources and
// drilldowns, saved searches, event types.
func appSearches(tb testing.TB) []appSearch {
	tb.Helper()
	var out []appSearch
	for _, d := range mustDashboards(tb) {
		for _, name := range slices.Sorted(maps.Keys(d.def.DataSources)) {
			out = append(out, appSearch{d.file + " " + name, d.def.DataSources[name].Options.Query})
		}
		for _, name := range slices.Sorted(maps.Keys(d.def.Visualizations)) {
			for _, h := range d.def.Visualizations[name].Handlers {
				if h.Options.Query != "" {
					out = append(out, appSearch{d.file + " " + name + " " + h.Type, h.Options.Query})
				}
			}
		}
	}
	for _, s := range mustConf(tb, "default/savedsearches.conf").stanzas {
		out = append(out, appSearch{"savedsearches.conf [" + s.name + "]", s.get("search")})
	}
	for _, s := range mustConf(tb, "default/eventtypes.conf").stanzas {
		out = append(out, appSearch{"eventtypes.conf [" + s.name + "]", s.get("search")})
	}
	return out
}

var alertSourcetype = regexp.MustCompile(`sourcetype="pigment:alert"`)

// TestFieldsProduced checks that every field a dashboard, saved search,
// macro, event type or props.conf calculation reads is one the HEC format
// produces for that sourcetype (or Splunk gives every event).
func TestFieldsProduced(t *testing.T) {
	produced := producedFields(t)
	for _, st := range []string{"pigment:audit", "pigment:alert"} {
		for _, f := range splunkFields {
			produced[st][f] = true
		}
	}
	checkProps(t, produced)

	macros := appMacros(t)
	for _, s := range appSearches(t) {
		q, err := expandMacros(s.query, macros)
		if err != nil {
			t.Errorf("%s: %v", s.where, err)
			continue
		}
		read, err := fieldsRead(q)
		if err != nil {
			t.Errorf("%s: %v", s.where, err)
			continue
		}
		st := "pigment:audit"
		if alertSourcetype.MatchString(q) {
			st = "pigment:alert"
		}
		for _, f := range read {
			if !produced[st][f] {
				t.Errorf("%s reads %s, which the HEC format does not produce for %s", s.where, f, st)
			}
		}
	}
}

// checkProps checks the inputs of props.conf's calculated fields and adds
// the fields they compute to produced.
func checkProps(t *testing.T, produced map[string]map[string]bool) {
	t.Helper()
	for _, s := range mustConf(t, "default/props.conf").stanzas {
		set := produced[s.name]
		if set == nil {
			t.Errorf("props.conf [%s] is not a sourcetype the HEC format sends", s.name)
			continue
		}
		var computed []string
		for _, k := range s.keys {
			name, ok := strings.CutPrefix(k, "EVAL-")
			if !ok {
				continue
			}
			toks, err := tokenize(s.get(k))
			if err != nil {
				t.Errorf("props.conf [%s] %s: %v", s.name, k, err)
				continue
			}
			u := &fieldUse{defined: map[string]bool{}}
			u.expr(toks)
			for _, f := range u.read {
				if !set[f] {
					t.Errorf("props.conf [%s] %s reads %s, which the HEC format does not produce", s.name, k, f)
				}
			}
			computed = append(computed, name)
		}
		for _, f := range computed {
			set[f] = true
		}
	}
}

func TestFieldsRead(t *testing.T) {
	cases := []struct {
		q    string
		want []string
	}{
		{`sourcetype="x" a="1" (b!=2 OR c=*) earliest=-1d@d | eval d=coalesce('e.f', g), h=d . "%" | stats count AS n dc(i) BY d j | where n > 1 | table n d k`,
			[]string{"sourcetype", "a", "b", "c", "e.f", "g", "i", "j", "k"}},
		{`x=1 | rename evidence{} AS ev | mvexpand ev | rex field=ev "(?<p>a)\|(?<q>b)" | table p q r`, []string{"x", "evidence{}", "r"}},
		{`x=1 | timechart span=1h count BY action | sort - count`, []string{"x", "action"}},
	}
	for _, c := range cases {
		got, err := fieldsRead(c.q)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("fieldsRead(%s) = %q, %v, want %q", c.q, got, err, c.want)
		}
	}
	for _, q := range []string{`x=1 | lookup t a`, `x=1 free text`, `x=1 | rex "(?<a>b)"`} {
		if _, err := fieldsRead(q); err == nil {
			t.Errorf("fieldsRead(%s) accepted it, want an error", q)
		}
	}
}
