package splunkapp

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// dashboard is one Dashboard Studio view of the app.
type dashboard struct {
	file string
	json []byte // the definition, as written
	def  definition
}

// definition is the part of a Dashboard Studio definition these tests read.
type definition struct {
	Title       string `json:"title"`
	DataSources map[string]struct {
		Type    string `json:"type"`
		Options struct {
			Query string `json:"query"`
		} `json:"options"`
	} `json:"dataSources"`
	Visualizations map[string]struct {
		Type        string            `json:"type"`
		DataSources map[string]string `json:"dataSources"`
		Handlers    []struct {
			Type    string `json:"type"`
			Options struct {
				Query string `json:"query"`
			} `json:"options"`
		} `json:"eventHandlers"`
	} `json:"visualizations"`
	Inputs map[string]struct {
		Type    string `json:"type"`
		Options struct {
			Token string `json:"token"`
		} `json:"options"`
	} `json:"inputs"`
	Layout struct {
		GlobalInputs []string `json:"globalInputs"`
		Tabs         struct {
			Items []struct {
				LayoutID string `json:"layoutId"`
			} `json:"items"`
		} `json:"tabs"`
		LayoutDefinitions map[string]struct {
			Type      string `json:"type"`
			Structure []struct {
				Item string `json:"item"`
				Type string `json:"type"`
			} `json:"structure"`
		} `json:"layoutDefinitions"`
	} `json:"layout"`
}

// viewXML is the Simple XML wrapper Splunk stores Studio dashboards in.
type viewXML struct {
	XMLName    xml.Name `xml:"dashboard"`
	Version    string   `xml:"version,attr"`
	Label      string   `xml:"label"`
	Definition string   `xml:"definition"`
}

const viewsDir = "default/data/ui/views"

// mustDashboards reads every view of the app.
func mustDashboards(tb testing.TB) []dashboard {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(appDir, viewsDir, "*.xml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no views in %s: %v", viewsDir, err)
	}
	var ds []dashboard
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var v viewXML
		if err := xml.Unmarshal(data, &v); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		if v.Version != "2" {
			tb.Errorf("%s: <dashboard version=%q>, want 2 (Dashboard Studio)", f, v.Version)
		}
		d := dashboard{file: filepath.Base(f), json: []byte(strings.TrimSpace(v.Definition))}
		dec := json.NewDecoder(strings.NewReader(v.Definition))
		if err := dec.Decode(&d.def); err != nil {
			tb.Fatalf("%s: definition: %v", f, err)
		}
		if d.def.Title != v.Label {
			tb.Errorf("%s: title %q, label %q: want the same", f, d.def.Title, v.Label)
		}
		ds = append(ds, d)
	}
	return ds
}

// knownVizTypes are Dashboard Studio's visualization types (Splunk 9.1 and
// later) that the schema check of validate/ knows the options of.
var knownVizTypes = []string{
	"splunk.area", "splunk.bar", "splunk.column", "splunk.line", "splunk.pie",
	"splunk.singlevalue", "splunk.table", "splunk.markdown", "splunk.events",
}

// TestDashboardReferences checks what the schema cannot: every visualization
// is of a known type and reads a defined data source, every layout item is a
// defined visualization or input and every visualization is laid out, every
// tab names a layout, and every $token$ a query or handler uses is set by an
// input or is the clicked row.
func TestDashboardReferences(t *testing.T) {
	want := []string{"pigment_access.xml", "pigment_alerts.xml", "pigment_kpis.xml", "pigment_overview.xml"}
	var got []string
	for _, d := range mustDashboards(t) {
		got = append(got, d.file)
		def := &d.def
		tokens := map[string]bool{"row": true}
		for name, in := range def.Inputs {
			tokens[in.Options.Token] = true
			if !slices.Contains(def.Layout.GlobalInputs, name) {
				t.Errorf("%s: input %s is not in layout.globalInputs", d.file, name)
			}
		}
		for name, ds := range def.DataSources {
			if ds.Type != "ds.search" || ds.Options.Query == "" {
				t.Errorf("%s: data source %s is %q with query %q, want ds.search with a query", d.file, name, ds.Type, ds.Options.Query)
			}
		}
		placed := map[string]bool{}
		for _, tab := range def.Layout.Tabs.Items {
			l, ok := def.Layout.LayoutDefinitions[tab.LayoutID]
			if !ok {
				t.Errorf("%s: tab names layout %s, which is not defined", d.file, tab.LayoutID)
			}
			for _, it := range l.Structure {
				if _, ok := def.Visualizations[it.Item]; !ok {
					t.Errorf("%s: layout places %s, which is no visualization", d.file, it.Item)
				}
				placed[it.Item] = true
			}
		}
		for name, v := range def.Visualizations {
			if !slices.Contains(knownVizTypes, v.Type) {
				t.Errorf("%s: %s has type %q, not one of %q", d.file, name, v.Type, knownVizTypes)
			}
			if src, ok := v.DataSources["primary"]; ok {
				if _, ok := def.DataSources[src]; !ok {
					t.Errorf("%s: %s reads data source %q, which is not defined", d.file, name, src)
				}
			} else if v.Type != "splunk.markdown" {
				t.Errorf("%s: %s has no primary data source", d.file, name)
			}
			if !placed[name] {
				t.Errorf("%s: %s is not in the layout", d.file, name)
			}
			for _, h := range v.Handlers {
				checkTokens(t, d.file, h.Options.Query, tokens)
			}
		}
		checkTokens(t, d.file, string(d.json), tokens)
	}
	if !slices.Equal(got, want) {
		t.Errorf("views = %q, want %q", got, want)
	}
}

func checkTokens(t *testing.T, file, text string, tokens map[string]bool) {
	t.Helper()
	for _, m := range tokenRef.FindAllStringSubmatch(text, -1) {
		if !tokens[m[1]] {
			t.Errorf("%s: token $%s.…$ is set by no input", file, m[1])
		}
	}
}
