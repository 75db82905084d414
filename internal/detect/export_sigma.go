package detect

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// sigmaCannot are the kinds Sigma (rules and correlations, specification
// 2.x) cannot express.
var sigmaCannot = map[string]string{
	kindOffHours: "business hours in a time zone: Sigma has no time-of-day condition",
	kindShare:    "a share of failed logins: Sigma correlations count events or values, not ratios",
}

// ordered is a YAML mapping written in the order given: key, value,
// key, value… (Sigma's documents read best in the specification's order).
// Nil and empty values are left out.
type ordered []any

// MarshalYAML implements yaml.Marshaler.
func (o ordered) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(o); i += 2 {
		if isEmpty(o[i+1]) {
			continue
		}
		var k, v yaml.Node
		if err := k.Encode(o[i]); err != nil {
			return nil, err
		}
		if err := v.Encode(o[i+1]); err != nil {
			return nil, err
		}
		n.Content = append(n.Content, &k, &v)
	}
	return n, nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return x == nil
	}
	return false
}

// sigmaScopeField is the field of each scope: the HEC indexed fields
// forward writes (none: the workspace).
var sigmaScopeField = map[string]string{"actor": "actor", "application": "application"}

// exportSigma writes Sigma rules as YAML documents: a detection rule per
// rule (the events it matches), and for the counting rules a correlation
// rule per scope over it (event_count, or value_count of applications).
// Field names are those of forward's HEC events (eventType, actor,
// application); a Sigma pipeline maps them to another backend's.
func exportSigma(plans []exportPlan) (Exported, error) {
	var buf bytes.Buffer
	buf.WriteString("# Sigma rules from pigment-siem detect (detect rules --export sigma).\n" +
		"# Fields are those of forward's HEC events: eventType, actor, application.\n")
	sk := skipped(plans, sigmaCannot)
	for _, s := range sk {
		fmt.Fprintf(&buf, "# not exported: %s: %s\n", s.Rule, s.Why)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	for _, p := range exportable(plans, sigmaCannot) {
		for _, doc := range sigmaRules(p) {
			if err := enc.Encode(doc); err != nil {
				return Exported{}, fmt.Errorf("detect: export %s as Sigma: %w", p.rule.ID, err)
			}
		}
	}
	if err := enc.Close(); err != nil {
		return Exported{}, fmt.Errorf("detect: export Sigma: %w", err)
	}
	return Exported{Data: buf.Bytes(), Skipped: sk}, nil
}

// sigmaRules are the documents of one rule: its events, then a
// correlation per scope when it counts.
func sigmaRules(p exportPlan) []ordered {
	r := p.rule
	name, tags := "pigment_"+strings.ReplaceAll(r.ID, "-", "_"), sigmaTags(r.Mitre)
	desc, level := p.description("actor")+" "+oneLine(r.Runbook), r.Severity
	if p.kind != kindMatch {
		desc, level = "Events counted by "+r.ID+" (see its correlation rules).", "informational"
	}
	docs := []ordered{{
		"title", firstNonEmpty(r.Title, r.ID), "id", p.exportID("sigma", ""), "name", name,
		"status", "experimental", "description", desc, "author", "pigment-siem", "tags", tags,
		"logsource", ordered{"product", "pigment", "service", "audit"}, "detection", sigmaDetection(r),
		"fields", []string{"eventType", "actor", "application"},
		"falsepositives", []string{"Planned administration by the member"}, "level", level,
	}}
	if p.kind == kindMatch {
		return docs
	}
	for _, scope := range p.scopes() {
		// group-by is required by event_count and value_count; empty: the workspace.
		groupBy, typ, cond := []string{}, "event_count", ordered{"gt", r.Threshold}
		if f := sigmaScopeField[scope]; f != "" {
			groupBy = []string{f}
		}
		if p.kind == kindDistinct {
			typ, cond = "value_count", append(cond, "field", "application")
		}
		docs = append(docs, ordered{
			"title", p.title(scope), "id", p.exportID("sigma", scope), "status", "experimental",
			"description", p.description(scope), "author", "pigment-siem", "tags", tags,
			"correlation", ordered{"type", typ, "rules", []string{name}, "group-by", groupBy,
				"timespan", durationText(time.Duration(r.Window)), "condition", cond},
			"level", r.Severity,
		})
	}
	return docs
}

// sigmaDetection selects the rule's types (and applications), without its
// allow lists. Sigma values take "*" wildcards as the rules file does.
func sigmaDetection(r Rule) map[string]any {
	d := map[string]any{"selection": map[string]any{"eventType": r.Types}}
	cond := "selection"
	if len(r.Applications) > 0 {
		d["selection_application"] = map[string]any{"application": r.Applications}
		cond += " and selection_application"
	}
	if len(r.Allow.Members) > 0 {
		d["filter_members"] = map[string]any{"actor": r.Allow.Members}
		cond += " and not filter_members"
	}
	if len(r.Allow.Applications) > 0 {
		d["filter_applications"] = map[string]any{"application": r.Allow.Applications}
		cond += " and not filter_applications"
	}
	d["condition"] = cond
	return d
}

// sigmaTags are the ATT&CK technique and its tactic, as Sigma tags them.
func sigmaTags(id string) []string {
	if id == "" {
		return nil
	}
	tags := []string{"attack." + strings.ToLower(id)}
	if t, ok := techniques[id]; ok {
		tags = append(tags, "attack."+strings.ReplaceAll(strings.ToLower(t.tactic), " ", "-"))
	}
	return tags
}
