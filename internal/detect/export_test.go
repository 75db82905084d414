package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"

	"github.com/pigment-siem/pipeline/internal/sinks"
)

// mustExport exports the built-in rules (changed by edit when not nil).
func mustExport(t *testing.T, format string, edit func(*RuleSet)) Exported {
	t.Helper()
	rs, err := LoadRules(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&rs)
	}
	e, err := Export(rs, format)
	if err != nil {
		t.Fatalf("Export(%s): %v", format, err)
	}
	again, _ := Export(rs, format)
	if !bytes.Equal(e.Data, again.Data) {
		t.Errorf("Export(%s) differs from one call to the next", format)
	}
	return e
}

// exported are the built-in rules each format expresses; every other
// enabled rule must be skipped with a reason.
var exported = map[string][]string{
	"splunk":  {"off-hours", "bulk-deletion", "failed-logins", "high-churn", "export-burst"},
	"elastic": {"bulk-deletion", "failed-logins", "high-churn", "export-burst"},
	"sigma":   {"bulk-deletion", "high-churn", "export-burst"},
}

// Every enabled rule is exported or skipped with why, never both, never
// silently dropped; disabled rules are neither.
func TestExportCoversEveryEnabledRule(t *testing.T) {
	for _, format := range ExportFormats {
		e := mustExport(t, format, func(rs *RuleSet) { rs.Rules[0].Enabled = false }) // off-hours
		rs, _ := LoadRules(DefaultRules())
		for _, r := range rs.Rules[1:] {
			inFile := bytes.Contains(e.Data, []byte("rule "+r.ID+".")) || bytes.Contains(e.Data, []byte("rule:"+r.ID+`"`))
			skip := slices.ContainsFunc(e.Skipped, func(s Skipped) bool { return s.Rule == r.ID && s.Why != "" })
			want := slices.Contains(exported[format], r.ID)
			if inFile != want || skip == want {
				t.Errorf("%s: rule %s exported %v, skipped %v; want exported %v", format, r.ID, inFile, skip, want)
			}
		}
		if bytes.Contains(e.Data, []byte("rule off-hours.")) || slices.ContainsFunc(e.Skipped, func(s Skipped) bool { return s.Rule == "off-hours" }) {
			t.Errorf("%s: the disabled off-hours rule is exported or listed", format)
		}
	}
}

// hecFields are the fields forward's HEC events carry (indexed fields and
// the event's top-level keys), read from the transform golden files.
func hecFields(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("../transform/testdata/hec/*.json")
	out := map[string]bool{"sourcetype": true, "_time": true}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Event  map[string]json.RawMessage `json:"event"`
			Fields map[string]string          `json:"fields"`
		}
		if json.Unmarshal(b, &ev) != nil {
			continue
		}
		for k := range ev.Fields {
			out[k] = true
		}
		for k := range ev.Event {
			out[k] = true
		}
	}
	if len(files) == 0 || !out["eventType"] {
		t.Fatal("no HEC golden files read")
	}
	return out
}

// splunkStanzas parses a savedsearches.conf as Splunk does: # comments,
// [stanza] headers, key = value lines.
func splunkStanzas(t *testing.T, conf []byte) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(conf))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch k, v, isKV := strings.Cut(line, " = "); {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			name := line[1 : len(line)-1]
			if out[name] != nil {
				t.Errorf("stanza [%s] twice", name)
			}
			cur = map[string]string{}
			out[name] = cur
		case isKV && cur != nil:
			cur[k] = v
		default:
			t.Errorf("savedsearches.conf line %q is neither a comment, a stanza nor key = value", line)
		}
	}
	return out
}

// splunkField matches the field of each field="value" or field IN clause.
var splunkField = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_.]*)(?:=|\s+IN\s*\()`)

func TestExportSplunk(t *testing.T) {
	e := mustExport(t, "splunk", nil)
	stanzas := splunkStanzas(t, e.Data)
	if len(stanzas) != 7 { // failed-logins and bulk-deletion have two scopes
		t.Errorf("%d stanzas, want 7", len(stanzas))
	}
	fields := hecFields(t)
	for name, s := range stanzas {
		search := s["search"]
		if !strings.HasPrefix(search, "`pigment_index` sourcetype=\"pigment:audit\" ") ||
			strings.Count(search, "(") != strings.Count(search, ")") || strings.Count(search, `"`)%2 != 0 {
			t.Errorf("[%s] search = %s: want the pigment_index macro, balanced parentheses and quotes", name, search)
		}
		if len(strings.Fields(s["cron_schedule"])) != 5 || s["disabled"] != "1" || s["enableSched"] != "1" ||
			s["alert.severity"] == "" || !strings.HasPrefix(s["dispatch.earliest_time"], "-") {
			t.Errorf("[%s] = %v: want a 5-field cron, disabled, scheduled, a severity and a window", name, s)
		}
		for _, m := range splunkField.FindAllStringSubmatch(strings.Split(search, " | stats")[0], -1) {
			if !fields[m[1]] && m[1] != "failed" && m[1] != "day" && m[1] != "minute" {
				t.Errorf("[%s] searches %s, which forward's HEC events do not carry", name, m[1])
			}
		}
	}
}

// Each exported Elastic rule has what the detection engine's import
// requires, and queries only fields the index template maps.
func TestExportElastic(t *testing.T) {
	e := mustExport(t, "elastic", nil)
	leaves, flattened, err := sinks.TemplateFields()
	if err != nil {
		t.Fatal(err)
	}
	mapped := func(f string) bool {
		return slices.Contains(leaves, f) || slices.ContainsFunc(flattened, func(r string) bool { return strings.HasPrefix(f, r+".") })
	}
	rules := decodeAll(t, json.NewDecoder(bytes.NewReader(e.Data)))
	for _, r := range rules {
		checkElasticRule(t, r, mapped)
	}
	if len(rules) != 6 {
		t.Errorf("%d rules, want 6", len(rules))
	}
}

// decodeAll decodes every document of a JSON or YAML stream.
func decodeAll(t *testing.T, dec interface{ Decode(any) error }) []map[string]any {
	t.Helper()
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("document %d: %v", len(docs)+1, err)
		}
		docs = append(docs, d)
	}
}

// esqlField matches a field an ES|QL or KQL query names.
var esqlField = regexp.MustCompile(`\b([a-z_]+(?:\.[a-z_]+)+)\b`)

func checkElasticRule(t *testing.T, r map[string]any, mapped func(string) bool) {
	t.Helper()
	name, _ := r["name"].(string)
	id, _ := r["rule_id"].(string)
	if _, err := uuid.Parse(id); err != nil || name == "" || r["description"] == "" || r["query"] == "" {
		t.Errorf("rule %q: rule_id %q, name, description and query are required", name, id)
	}
	if s, _ := r["risk_score"].(float64); s < 0 || s > 100 || !slices.Contains(severities, r["severity"].(string)) {
		t.Errorf("rule %q: risk_score %v and severity %v out of range", name, r["risk_score"], r["severity"])
	}
	switch r["type"] {
	case "query", "threshold":
		if r["language"] != "kuery" || r["index"] == nil {
			t.Errorf("rule %q: a %s rule wants language kuery and an index", name, r["type"])
		}
	case "esql":
		if r["language"] != "esql" || r["index"] != nil {
			t.Errorf("rule %q: an esql rule has language esql and no index", name)
		}
	default:
		t.Errorf("rule %q: type %v", name, r["type"])
	}
	if th, ok := r["threshold"].(map[string]any); r["type"] == "threshold" && (!ok || th["value"].(float64) < 1) {
		t.Errorf("rule %q: threshold %v", name, r["threshold"])
	}
	for _, th := range r["threat"].([]any) {
		tactic := th.(map[string]any)["tactic"].(map[string]any)
		if th.(map[string]any)["framework"] != "MITRE ATT&CK" || tactic["id"] == "" || tactic["name"] == "" || tactic["reference"] == "" {
			t.Errorf("rule %q: threat %v", name, th)
		}
	}
	for _, m := range esqlField.FindAllStringSubmatch(r["query"].(string), -1) {
		if !mapped(m[1]) && !strings.HasPrefix(m[1], "logs-pigment") {
			t.Errorf("rule %q queries %s, which the index template does not map", name, m[1])
		}
	}
}

// sigmaSchema loads one of the committed Sigma JSON schemas.
func sigmaSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sigma", name))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Every Sigma document validates against the Sigma specification's JSON
// schema (rule or correlation), ids are unique UUIDs, conditions name the
// rule's search identifiers and correlations name earlier rules.
func TestExportSigmaValidates(t *testing.T) {
	rules := sigmaSchema(t, "sigma-detection-rule-schema.json")
	correlations := sigmaSchema(t, "sigma-correlation-rules-schema.json")
	e := mustExport(t, "sigma", func(rs *RuleSet) {
		rs.Rules[6].Known = 0 // sensitive-access: a match rule with applications and allow lists
		rs.Rules[6].Allow = Allow{Members: []string{"svc-*"}, Applications: []string{"Sandbox"}}
		rs.Rules[7].Known = 0 // broad-access: a value_count correlation of applications
	})
	docs := decodeAll(t, yaml.NewDecoder(bytes.NewReader(e.Data)))
	names, ids := map[string]bool{}, map[string]bool{}
	for _, doc := range docs {
		schema := rules
		if _, ok := doc["correlation"]; ok {
			schema = correlations
			for _, r := range doc["correlation"].(map[string]any)["rules"].([]any) {
				if !names[r.(string)] {
					t.Errorf("%s: correlates %v, not an earlier rule's name", doc["title"], r)
				}
			}
		} else {
			checkSigmaCondition(t, doc)
		}
		for _, msg := range validateSchema(schema, doc, doc["title"].(string)) {
			t.Error(msg)
		}
		if id := doc["id"].(string); ids[id] {
			t.Errorf("%s: id %s twice", doc["title"], id)
		} else {
			ids[id] = true
		}
		if name, ok := doc["name"].(string); ok {
			names[name] = true
		}
	}
	if len(docs) != 10 {
		t.Errorf("%d Sigma documents, want 10", len(docs))
	}
}

// The schema check itself refuses what the specification refuses.
func TestSchemaRefusesInvalidSigma(t *testing.T) {
	rules := sigmaSchema(t, "sigma-detection-rule-schema.json")
	bad := map[string]any{"title": "x", "level": "severe", "tags": []any{"ATTACK T1078"}, "id": "not-a-uuid",
		"logsource": map[string]any{"product": "pigment"}, "detection": map[string]any{"selection": map[string]any{"a": "b"}}}
	got := strings.Join(validateSchema(rules, bad, "rule"), "\n")
	for _, want := range []string{"condition is required", "level: matches 0 of oneOf", "does not match", "not a UUID"} {
		if !strings.Contains(got, want) {
			t.Errorf("validateSchema = %s\nwant a violation %q", got, want)
		}
	}
}

// checkSigmaCondition checks that the condition names only the
// detection's search identifiers, each used.
func checkSigmaCondition(t *testing.T, doc map[string]any) {
	t.Helper()
	det := doc["detection"].(map[string]any)
	words := strings.Fields(det["condition"].(string))
	for id := range det {
		if id != "condition" && !slices.Contains(words, id) {
			t.Errorf("%s: search identifier %s is not in the condition %q", doc["title"], id, det["condition"])
		}
	}
	for _, w := range words {
		if w != "and" && w != "or" && w != "not" && det[w] == nil {
			t.Errorf("%s: condition names %s, not a search identifier", doc["title"], w)
		}
	}
}

// Patterns become KQL values: exact ones quoted, wildcards unquoted with
// KQL's special characters escaped, "*" any value.
func TestKQLAny(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		want     string
	}{
		{[]string{"BlockDeleted", "*Deleted*"}, `event.action : ("BlockDeleted" or *Deleted*)`},
		{[]string{"Block*", "*"}, `event.action : *`},
		{[]string{`a(b):c*`}, `event.action : (a\(b\)\:c*)`},
		{[]string{"Head count*"}, `event.action : ("Head count*")`},
	} {
		if got := kqlAny("event.action", tc.patterns); got != tc.want {
			t.Errorf("kqlAny(%q) = %s, want %s", tc.patterns, got, tc.want)
		}
	}
}
