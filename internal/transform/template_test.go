package transform_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// TestTemplateMapsECSFields: every field AppendECS sets, for the golden
// and simulator events and in ECSFields, is mapped by the index template
// forward setup installs, with the type ECS gives it (dynamic mapping would
// otherwise guess: a date as text, an IP as keyword).
func TestTemplateMapsECSFields(t *testing.T) {
	var tpl struct {
		Template struct{ Mappings mapping }
	}
	if err := json.Unmarshal(sinks.IndexTemplate(), &tpl); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	for _, f := range transform.ECSFields() {
		fields[f] = true
	}
	for _, ev := range transform.MustGoldenAndSimEvents(t, 3000) {
		for _, p := range transform.LeafPaths(t, transform.AppendECS(nil, &ev), "") {
			fields[transform.ECSField(p)] = true
		}
	}
	for f := range fields {
		if got, want := tpl.Template.Mappings.typeOf(f), ecsType(f); got != want {
			t.Errorf("index template maps %s as %q, want %q", f, got, want)
		}
	}
}

// mapping is an object mapping of the index template.
type mapping struct {
	Type       string
	Properties map[string]mapping
}

// typeOf is the type the mapping gives the dotted field path: the type of
// the field, or of the flattened field holding it; "" when unmapped.
func (m mapping) typeOf(path string) string {
	for _, seg := range strings.Split(path, ".") {
		next, ok := m.Properties[seg]
		if !ok {
			return ""
		}
		if m = next; m.Type == "flattened" {
			return m.Type
		}
	}
	return m.Type
}

// ecsType is the type ECS gives field (pigment.* is the original record,
// flattened).
func ecsType(field string) string {
	switch {
	case strings.HasPrefix(field, "pigment."):
		return "flattened"
	case field == "@timestamp", field == "event.created", field == "event.ingested":
		return "date"
	case strings.HasSuffix(field, ".ip"):
		return "ip"
	case field == "event.severity":
		return "long"
	case field == "message":
		return "match_only_text"
	}
	return "keyword"
}
