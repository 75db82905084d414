package kibana

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
)

// templateFields returns the mapped leaf fields of the index template and
// the fields mapped as flattened (any key below them exists).
func templateFields(t *testing.T) (map[string]bool, []string) {
	t.Helper()
	leaves, flattened, err := sinks.TemplateFields()
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, f := range leaves {
		set[f] = true
	}
	return set, flattened
}

// kqlField matches the field of each `field : value` clause of a KQL query.
var kqlField = regexp.MustCompile(`([A-Za-z_@][A-Za-z0-9_.@]*)\s*:`)

// referencedFields returns, per object, every field it names: Lens source
// fields, fields of its KQL queries and filters, saved-search columns.
func referencedFields(t *testing.T, objs []object) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(o object, fields ...string) {
		out[o.Type+"/"+o.ID] = append(out[o.Type+"/"+o.ID], fields...)
	}
	addKQL := func(o object, q string) {
		for _, m := range kqlField.FindAllStringSubmatch(q, -1) {
			add(o, m[1])
		}
	}
	for _, o := range objs {
		switch o.Type {
		case "lens":
			addKQL(o, o.Attributes["state"].(map[string]any)["query"].(map[string]any)["query"].(string))
			for _, c := range lensColumns(t, o) {
				if f, _ := c["sourceField"].(string); f != "" && f != "___records___" {
					add(o, f)
				}
				if f, ok := c["filter"].(map[string]any); ok {
					addKQL(o, f["query"].(string))
				}
			}
		case "search":
			for _, c := range o.Attributes["columns"].([]any) {
				add(o, c.(string))
			}
			var src struct{ Query struct{ Query string } }
			meta := o.Attributes["kibanaSavedObjectMeta"].(map[string]any)["searchSourceJSON"].(string)
			if err := json.Unmarshal([]byte(meta), &src); err != nil {
				t.Fatalf("%s searchSourceJSON: %v", o.ID, err)
			}
			addKQL(o, src.Query.Query)
		}
	}
	return out
}

// Every field a saved object uses is mapped by the index template, is a
// key under a flattened field of it, or is a runtime field of the data
// view reading such a key.
func TestFieldsInIndexTemplate(t *testing.T) {
	leaves, flattened := templateFields(t)
	underFlattened := func(f string) bool {
		return slices.ContainsFunc(flattened, func(root string) bool { return strings.HasPrefix(f, root+".") })
	}
	runtime := map[string]bool{}
	for _, r := range runtimeFields {
		if !underFlattened(r.path) && !leaves[r.path] {
			t.Errorf("runtime field %s reads %s, which the index template does not map", r.name, r.path)
		}
		runtime[r.name] = true
	}
	objs := mustParse(t, SavedObjects())
	n := 0
	for obj, fields := range referencedFields(t, objs) {
		for _, f := range fields {
			n++
			if !leaves[f] && !runtime[f] && !underFlattened(f) {
				t.Errorf("%s uses %s, which the index template does not map", obj, f)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d field uses found: the walk misses some", n)
	}
}
