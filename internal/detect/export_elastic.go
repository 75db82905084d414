package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// elasticIndex is what the exported rules search: the data streams of
// forward's index template.
var elasticIndex = []string{"logs-pigment.audit-*"}

// elasticCannot are the kinds the detection engine's rule types cannot
// express.
var elasticCannot = map[string]string{
	kindOffHours: "business hours in a time zone: KQL cannot test an event's local time of day",
	kindDistinct: "counts distinct applications, which are only under the flattened pigment field (no ECS field to aggregate)",
}

// elasticRiskScore is the detection engine's usual risk per severity.
var elasticRiskScore = map[string]int{"low": 21, "medium": 47, "high": 73, "critical": 99}

// elasticScopeField is the ECS field of each scope (none: the workspace).
var elasticScopeField = map[string]string{"actor": "user.id", "application": "pigment.application.id"}

// exportElastic writes one detection rule per line (POST
// /api/detection_engine/rules/_import), shipped disabled: a query rule
// per matching event, a threshold rule per counting scope, an ES|QL rule
// for the share of failed logins.
func exportElastic(plans []exportPlan) Exported {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, p := range exportable(plans, elasticCannot) {
		for _, scope := range p.scopes() {
			if err := enc.Encode(elasticRuleOf(p, scope)); err != nil {
				panic(fmt.Sprintf("detect: export %s: %v", p.rule.ID, err)) // plain structs
			}
		}
	}
	return Exported{Data: buf.Bytes(), Skipped: skipped(plans, elasticCannot)}
}

// elasticRuleOf is one rule of the detection engine's import format.
func elasticRuleOf(p exportPlan, scope string) map[string]any {
	r := p.rule
	from := durationText(time.Duration(r.Window))
	if p.kind == kindMatch {
		from = durationText(p.schedule() + time.Minute) // each event once, with a minute of overlap
	}
	er := map[string]any{
		"rule_id": p.exportID("elastic", scope), "name": "Pigment: " + p.title(scope), "description": p.description(scope),
		"type": "query", "language": "kuery", "query": elasticKQL(p), "index": elasticIndex,
		"risk_score": elasticRiskScore[r.Severity], "severity": r.Severity, "threat": elasticThreatOf(r.Mitre),
		"interval": durationText(p.schedule()), "from": "now-" + from, "to": "now", "enabled": false,
		"version": 1, "tags": []string{"Pigment", "pigment-siem", "rule:" + r.ID}, "author": []string{"pigment-siem"},
		"max_signals": 100,
	}
	if r.Runbook != "" {
		er["note"] = r.Runbook
	}
	switch p.kind {
	case kindCount:
		field := []string{}
		if f := elasticScopeField[scope]; f != "" {
			field = []string{f}
		}
		er["type"], er["threshold"] = "threshold", map[string]any{"field": field, "value": r.Threshold + 1}
	case kindShare:
		er["type"], er["language"], er["query"] = "esql", "esql", elasticShareESQL(p, scope)
		delete(er, "index")
	}
	return er
}

// elasticKQL selects the rule's events: its types, its applications,
// without its allow lists.
func elasticKQL(p exportPlan) string {
	r := p.rule
	q := `event.kind : "event" and ` + kqlAny("event.action", r.Types)
	if len(r.Applications) > 0 {
		q += " and (" + kqlAny("pigment.application.name", r.Applications) + " or " + kqlAny("pigment.application.id", r.Applications) + ")"
	}
	if len(r.Allow.Members) > 0 {
		q += " and not " + kqlAny("user.email", r.Allow.Members) + " and not " + kqlAny("user.id", r.Allow.Members)
	}
	if len(r.Allow.Applications) > 0 {
		q += " and not " + kqlAny("pigment.application.name", r.Allow.Applications) + " and not " + kqlAny("pigment.application.id", r.Allow.Applications)
	}
	return q
}

// elasticShareESQL counts attempts and failures per scope and keeps the
// scopes past the share.
func elasticShareESQL(p exportPlan, scope string) string {
	r := p.rule
	conds := make([]string, len(r.Types))
	for i, t := range r.Types {
		if strings.Contains(t, "*") {
			conds[i] = "event.action LIKE " + strconv.Quote(t)
		} else {
			conds[i] = "event.action == " + strconv.Quote(t)
		}
	}
	by := ""
	if f := elasticScopeField[scope]; f != "" {
		by = " BY " + f
	}
	return "FROM " + strings.Join(elasticIndex, ",") + " | WHERE event.kind == \"event\" AND (" + strings.Join(conds, " OR ") + ")" +
		" | EVAL failed = CASE(event.outcome == \"failure\", 1, 0)" +
		" | STATS attempts = COUNT(*), failures = SUM(failed)" + by +
		fmt.Sprintf(" | WHERE attempts >= %d AND failures > attempts * %s", p.minCount(scope), strconv.FormatFloat(r.Share, 'f', -1, 64))
}

// kqlAny matches field against any of the patterns: exact values quoted,
// "*" patterns as KQL wildcards (special characters escaped).
func kqlAny(field string, patterns []string) string {
	if slices.Contains(patterns, "*") {
		return field + " : *"
	}
	vals := make([]string, len(patterns))
	for i, v := range patterns {
		vals[i] = kqlValue(v)
	}
	return field + " : (" + strings.Join(vals, " or ") + ")"
}

func kqlValue(v string) string {
	if !strings.Contains(v, "*") || strings.ContainsAny(v, " \t") {
		return strconv.Quote(v) // quoted: exact (a wildcard with spaces stays literal)
	}
	var b strings.Builder
	for _, c := range v {
		if strings.ContainsRune(`\():<>"{}`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func elasticThreatOf(id string) []any {
	t, ok := techniques[id]
	if !ok {
		return []any{}
	}
	ref := func(id, name, kind string) map[string]any {
		return map[string]any{"id": id, "name": name, "reference": "https://attack.mitre.org/" + kind + "/" + id + "/"}
	}
	return []any{map[string]any{"framework": "MITRE ATT&CK", "tactic": ref(t.tacticID, t.tactic, "tactics"),
		"technique": []any{ref(id, t.name, "techniques")}}}
}
