package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// alertsSection is detect's alerts whose window starts in p, by rule and
// severity; with detail, also each alert with its member and evidence.
func alertsSection(ctx context.Context, db DB, p Period, detail bool) (Section, error) {
	byRule, err := queryTable(ctx, db, Table{ID: "alerts_by_rule", Title: "Alerts by rule and severity",
		Columns: []string{"rule", "severity", "alerts", "members", "events"}}, `
		SELECT coalesce(rule, ''), coalesce(severity, ''), count(*),
		       count(DISTINCT coalesce(actor_id, actor_email)), coalesce(sum(event_count), 0)::bigint
		FROM archive_alerts WHERE window_start >= $1 AND window_start < $2
		GROUP BY rule, severity
		ORDER BY count(*) DESC, rule NULLS LAST, severity NULLS LAST`, p.Start, p.End)
	if err != nil {
		return Section{}, err
	}
	n := sumColumn(byRule, 2)
	s := Section{
		ID: "alerts", Title: "Alerts",
		Summary: fmt.Sprintf("%s raised by detect with a window starting in %s.", plural(n, "alert", "alerts"), p.Name),
		Records: n, Findings: alertFindings(byRule), Tables: []Table{byRule},
		Charts: []Chart{{ID: "alerts_by_rule_chart", Title: "Alerts by rule", Kind: Bars, Table: byRule.ID, Label: 0, Values: []int{2}}},
	}
	if !detail {
		return s, nil
	}
	list, err := queryTable(ctx, db, Table{ID: "alerts_list", Title: "Alerts, with their evidence",
		Columns: []string{"window start", "window end", "rule", "severity", "member", "member id", "application",
			"events", "evidence event ids", "alert id"}}, `
		SELECT window_start, window_end, coalesce(rule, ''), coalesce(severity, ''),
		       coalesce(actor_email, actor_id, ''), coalesce(actor_id, ''),
		       coalesce(application_name, application_id, ''), coalesce(event_count, 0), coalesce(evidence, '{}'), alert_id
		FROM archive_alerts WHERE window_start >= $1 AND window_start < $2
		ORDER BY window_start, alert_id`, p.Start, p.End)
	if err != nil {
		return Section{}, err
	}
	s.Tables = append(s.Tables, list)
	return s, nil
}

// alertSeverity is the finding severity of alerts of a detect severity:
// critical ones are critical, high ones a warning, others not a finding.
func alertSeverity(s string) (Severity, bool) {
	switch strings.ToLower(s) {
	case "critical":
		return Critical, true
	case "high":
		return Warning, true
	}
	return "", false
}

// alertFindings says, per rule, how many critical and high alerts need a
// review, in the order of the rows of the alerts_by_rule table.
func alertFindings(byRule Table) []Finding {
	var out []Finding
	for _, r := range byRule.Rows {
		sev, ok := alertSeverity(r[1])
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(r[2], 10, 64)
		out = append(out, Finding{Severity: sev, Title: fmt.Sprintf("%s %s alerts: %s", fmtCount(n), r[1], r[0]),
			Detail: fmt.Sprintf("%s for %s members; each alert's evidence lists the events to review.", plural(n, "alert", "alerts"), r[3])})
	}
	return out
}
