package detect

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// splunkCannot are the kinds Splunk searches cannot express.
var splunkCannot = map[string]string{}

// splunkSeverity is alert.severity: 3 warning, 4 error, 5 severe, 6 fatal.
var splunkSeverity = map[string]int{"low": 3, "medium": 4, "high": 5, "critical": 6}

// splunkScopeField is the HEC indexed field of each scope (forward's HEC
// format: actor is the email, else the name, else the id; application the
// name, else the id).
var splunkScopeField = map[string]string{"actor": "actor", "application": "application"}

// exportSplunk writes savedsearches.conf stanzas, one per rule and scope,
// shipped disabled, over the pigment_index macro of the Splunk app.
func exportSplunk(plans []exportPlan) Exported {
	var b strings.Builder
	b.WriteString("# savedsearches.conf: pigment-siem detect rules as Splunk alerts (detect rules --export splunk).\n" +
		"# Searches use the `pigment_index` macro of the pigment-siem Splunk app and the HEC fields\n" +
		"# forward writes (eventType, actor, application; CIM action). Shipped disabled: enable them\n" +
		"# in Settings > Searches, reports, and alerts once the thresholds suit your workspace.\n")
	sk := skipped(plans, splunkCannot)
	for _, s := range sk {
		fmt.Fprintf(&b, "# not exported: %s: %s\n", s.Rule, s.Why)
	}
	for _, p := range exportable(plans, splunkCannot) {
		for _, scope := range p.scopes() {
			writeSplunkStanza(&b, p, scope)
		}
	}
	return Exported{Data: []byte(b.String()), Skipped: sk}
}

func writeSplunkStanza(b *strings.Builder, p exportPlan, scope string) {
	r := p.rule
	window := durationText(time.Duration(r.Window))
	fmt.Fprintf(b, "\n[Pigment - %s]\n", p.title(scope))
	kv := func(k, v string) { fmt.Fprintf(b, "%s = %s\n", k, v) }
	desc := p.description(scope) + mitreText(r.Mitre)
	if p.kind == kindOffHours {
		desc += " strftime renders _time in the time zone of the search's owner: set the owner's to " + p.tz + "."
	}
	kv("description", oneLine(desc+" Runbook: "+r.Runbook))
	kv("search", splunkSearch(p, scope))
	kv("disabled", "1")
	kv("enableSched", "1")
	kv("cron_schedule", cron(p.schedule()))
	kv("dispatch.earliest_time", "-"+window)
	kv("dispatch.latest_time", "now")
	kv("counttype", "number of events")
	kv("relation", "greater than")
	kv("quantity", "0")
	kv("alert.track", "1")
	kv("alert.digest_mode", "0")
	kv("alert.severity", strconv.Itoa(splunkSeverity[r.Severity]))
	kv("alert.suppress", "1")
	kv("alert.suppress.period", durationText(time.Duration(r.Suppression)))
	if f := splunkScopeField[scope]; f != "" {
		kv("alert.suppress.fields", f)
	}
}

// splunkSearch is the rule's SPL: the events it counts, then per kind
// the aggregation and the condition.
func splunkSearch(p exportPlan, scope string) string {
	r := p.rule
	s := "`pigment_index` sourcetype=\"pigment:audit\" " + splunkAny("eventType", r.Types)
	if len(r.Applications) > 0 {
		s += " " + splunkAny("application", r.Applications)
	}
	if len(r.Allow.Members) > 0 {
		s += " NOT " + splunkAny("actor", r.Allow.Members)
	}
	if len(r.Allow.Applications) > 0 {
		s += " NOT " + splunkAny("application", r.Allow.Applications)
	}
	by := ""
	if f := splunkScopeField[scope]; f != "" {
		by = " BY " + f
	}
	stats := " | stats count AS events min(_time) AS first max(_time) AS last values(eventType) AS eventTypes"
	switch p.kind {
	case kindCount:
		return s + stats + by + " | where events > " + strconv.Itoa(r.Threshold)
	case kindDistinct:
		return s + stats + " dc(application) AS applications values(application) AS applicationNames" + by +
			" | where applications > " + strconv.Itoa(r.Threshold)
	case kindShare:
		return s + " | eval failed=if(action=\"failure\", 1, 0) | stats count AS attempts sum(failed) AS failures min(_time) AS first max(_time) AS last" + by +
			fmt.Sprintf(" | where attempts >= %d AND failures > %s * attempts", p.minCount(scope), strconv.FormatFloat(r.Share, 'f', -1, 64))
	case kindOffHours:
		return s + " NOT action=\"failure\" " + splunkOffHours(p.hours) + stats + " BY actor"
	}
	return s + stats + by
}

// splunkOffHours keeps events outside business hours. strftime renders
// _time in the time zone of the user the search runs as: set the owner's
// time zone to the rules' (see the description).
func splunkOffHours(h BusinessHours) string {
	start, _ := parseClock(h.Start)
	end, _ := parseClock(h.End)
	quoted := make([]string, len(h.Days))
	for i, d := range h.Days {
		quoted[i] = strconv.Quote(d)
	}
	return fmt.Sprintf(`| eval day=strftime(_time, "%%a"), minute=tonumber(strftime(_time, "%%H"))*60+tonumber(strftime(_time, "%%M"))`+
		` | where NOT (day IN (%s) AND minute >= %d AND minute < %d)`, strings.Join(quoted, ", "), start, end)
}

// splunkAny matches field against any of the patterns ("*" wildcards as
// the rules file's).
func splunkAny(field string, patterns []string) string {
	parts := make([]string, len(patterns))
	for i, v := range patterns {
		parts[i] = field + "=" + strconv.Quote(v)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// cron runs every d: minutes within an hour, or whole hours.
func cron(d time.Duration) string {
	switch {
	case d < time.Hour && 60%int(d.Minutes()) == 0:
		return fmt.Sprintf("*/%d * * * *", int(d.Minutes()))
	case d >= time.Hour && d%time.Hour == 0 && 24%int(d.Hours()) == 0:
		return fmt.Sprintf("0 */%d * * *", int(d.Hours()))
	}
	return "*/5 * * * *"
}

func mitreText(id string) string {
	if id == "" {
		return ""
	}
	return " MITRE ATT&CK " + id + "."
}

// oneLine folds a text onto one line (a .conf value ends at the newline).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
