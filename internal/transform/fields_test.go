package transform

import (
	"bytes"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestFieldLists: HECFields and ECSFields are exactly the fields the
// formats set for the golden and simulator events (each listed field set
// at least once, none set that is not listed; every indexed HEC field a
// string, as HEC requires), and testdata/fields lists every field a
// search or dashboard can use for the simulator's events and the golden
// alerts (realistic records, not the hard cases), in Splunk's and
// Elasticsearch's names (regenerated with -update).
func TestFieldLists(t *testing.T) {
	hecSet, ecsSet := map[string]bool{}, map[string]bool{}
	hecNames, ecsNames := map[string]bool{}, map[string]bool{}
	for _, c := range goldenAndSimCases(t, 3000) {
		ev, err := event.Parse(c.raw, c.kind)
		if err != nil {
			t.Fatalf("Parse(%s) error %v", c.name, err)
		}
		hec := AppendHEC(nil, &ev, hecOpts)
		var h struct {
			Sourcetype string
			Fields     map[string]any
		}
		if err := json.Unmarshal(hec, &h); err != nil {
			t.Fatalf("AppendHEC(%s): %v", c.name, err)
		}
		for k, v := range h.Fields {
			hecSet[k] = true
			if _, ok := v.(string); !ok {
				t.Errorf("AppendHEC(%s).fields.%s = %v, want a string", c.name, k, v)
			}
		}
		realistic := strings.Contains(c.name, "#") || c.kind == event.KindAlert
		for _, p := range leafPaths(t, hec, "{}") {
			hecNames[h.Sourcetype+"\t"+splunkName(p)] = realistic || hecNames[h.Sourcetype+"\t"+splunkName(p)]
		}
		ecs := AppendECS(nil, &ev)
		var e struct{ Event struct{ Dataset string } }
		if err := json.Unmarshal(ecs, &e); err != nil {
			t.Fatalf("AppendECS(%s): %v", c.name, err)
		}
		for _, p := range leafPaths(t, ecs, "") {
			ecsSet[ecsField(p)] = true
			ecsNames[e.Event.Dataset+"\t"+p] = realistic || ecsNames[e.Event.Dataset+"\t"+p]
		}
	}
	if got, want := slices.Sorted(maps.Keys(hecSet)), slices.Sorted(slices.Values(hecFields[:])); !slices.Equal(got, want) {
		t.Errorf("HEC fields set = %q\nHECFields() = %q", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(ecsSet)), slices.Sorted(slices.Values(ecsFields[:])); !slices.Equal(got, want) {
		t.Errorf("ECS fields set = %q\nECSFields() = %q", got, want)
	}
	checkGolden(t, filepath.Join("testdata", "fields", "hec.txt"), lines(hecNames))
	checkGolden(t, filepath.Join("testdata", "fields", "ecs.txt"), lines(ecsNames))
}

// ecsField is the field of ECSFields a leaf path of an ECS document
// belongs to: the path itself, or pigment.event or pigment.alert for the
// keys of the original record under them (one flattened field).
func ecsField(path string) string {
	for _, f := range [...]string{"pigment.event", "pigment.alert"} {
		if strings.HasPrefix(path, f+".") {
			return f
		}
	}
	return path
}

// splunkName is the name Splunk gives a leaf of a HEC event: the original
// event's keys as its JSON extraction names them, indexed fields by their
// own names, the time as _time.
func splunkName(path string) string {
	if path == "time" {
		return "_time"
	}
	for _, prefix := range [...]string{"event.", "fields."} {
		if s, ok := strings.CutPrefix(path, prefix); ok {
			return s
		}
	}
	return path
}

// leafPaths returns the dotted paths of the values in the JSON object doc:
// an array of scalars is one value at its path plus arraySuffix, the
// members of objects in arrays are at path+arraySuffix+"."+key ("{}" for
// Splunk's names, "" for Elasticsearch's).
func leafPaths(tb testing.TB, doc []byte, arraySuffix string) []string {
	tb.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		tb.Fatalf("%s: %v", doc, err)
	}
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(strings.TrimPrefix(path+"."+k, "."), x)
			}
		case []any:
			scalar := true
			for _, x := range v {
				if m, ok := x.(map[string]any); ok {
					scalar = false
					walk(path+arraySuffix, m)
				}
			}
			if scalar {
				out = append(out, path+arraySuffix)
			}
		default:
			out = append(out, path)
		}
	}
	walk("", v)
	return out
}

// lines is the sorted keys of set that are true, one a line.
func lines(set map[string]bool) []byte {
	var out []string
	for k, ok := range set {
		if ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return []byte(strings.Join(out, "\n"))
}
