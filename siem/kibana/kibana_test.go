package kibana

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func mustParse(t *testing.T, ndjson []byte) []object {
	t.Helper()
	var objs []object
	sc := bufio.NewScanner(bytes.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o object
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

// Every object has a unique id and the export's version fields, every
// reference names an object earlier in the file, and the four dashboards
// are there.
func TestObjectsShape(t *testing.T) {
	objs := mustParse(t, SavedObjects())
	seen := map[string]bool{}
	dashboards := 0
	for _, o := range objs {
		key := o.Type + "/" + o.ID
		if o.ID == "" || seen[key] {
			t.Errorf("%s: empty or duplicate id", key)
		}
		if o.CoreMigrationVersion == "" || o.TypeMigrationVersion == "" {
			t.Errorf("%s: no coreMigrationVersion or typeMigrationVersion", key)
		}
		for _, r := range o.References {
			if !seen[r.Type+"/"+r.ID] {
				t.Errorf("%s: reference %s %s/%s is not earlier in the file", key, r.Name, r.Type, r.ID)
			}
		}
		seen[key] = true
		if o.Type == "dashboard" {
			dashboards++
			checkPanels(t, o)
		}
	}
	if dashboards != 4 {
		t.Errorf("%d dashboards, want 4", dashboards)
	}
}

// checkPanels checks a dashboard's panelsJSON against its references.
func checkPanels(t *testing.T, o object) {
	t.Helper()
	var panels []struct {
		Type, PanelIndex, PanelRefName string
	}
	if err := json.Unmarshal([]byte(o.Attributes["panelsJSON"].(string)), &panels); err != nil {
		t.Fatalf("%s panelsJSON: %v", o.ID, err)
	}
	refs := map[string]string{}
	for _, r := range o.References {
		refs[r.Name] = r.Type
	}
	for _, p := range panels {
		if typ := refs[p.PanelIndex+":"+p.PanelRefName]; typ != p.Type {
			t.Errorf("%s panel %s: reference type %q, want %q", o.ID, p.PanelIndex, typ, p.Type)
		}
	}
	if len(panels) == 0 {
		t.Errorf("%s: no panels", o.ID)
	}
}

// lensColumns returns the Lens columns of a visualisation.
func lensColumns(t *testing.T, o object) map[string]map[string]any {
	t.Helper()
	state := o.Attributes["state"].(map[string]any)
	layers := state["datasourceStates"].(map[string]any)["formBased"].(map[string]any)["layers"].(map[string]any)
	cols := map[string]map[string]any{}
	for _, l := range layers {
		for id, c := range l.(map[string]any)["columns"].(map[string]any) {
			cols[id] = c.(map[string]any)
		}
	}
	return cols
}

// Every Lens visualisation's accessors name columns of its layer.
func TestLensAccessors(t *testing.T) {
	for _, o := range mustParse(t, SavedObjects()) {
		if o.Type != "lens" {
			continue
		}
		cols := lensColumns(t, o)
		vis, _ := json.Marshal(o.Attributes["state"].(map[string]any)["visualization"])
		for _, key := range []string{"xAccessor", "splitAccessor", "metricAccessor", "columnId"} {
			for _, part := range strings.Split(string(vis), `"`+key+`":"`)[1:] {
				id := part[:strings.IndexByte(part, '"')]
				if cols[id] == nil {
					t.Errorf("%s: %s %q is not a column", o.ID, key, id)
				}
			}
		}
	}
}

// Every drilldown is on a panel of its dashboard, and on a table of one
// column: the value clicked is what the URL opens.
func TestLinksOnPanels(t *testing.T) {
	for _, d := range dashboards() {
		for id := range d.links {
			i := slices.IndexFunc(d.panels, func(p panel) bool { return p.obj.ID == id })
			if i < 0 {
				t.Errorf("%s: link on %s, not one of its panels", d.id, id)
				continue
			}
			if cols := d.panels[i].obj.Attributes["state"].(map[string]any)["visualization"].(map[string]any)["columns"]; len(cols.([]any)) != 2 {
				t.Errorf("%s: link on %s, whose table has %d columns, want the value and its count", d.id, id, len(cols.([]any)))
			}
		}
	}
}
