package detect

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ExportFormats are the SIEM languages Export writes.
var ExportFormats = []string{"splunk", "elastic", "sigma"}

// Exported is a rules file translated for a SIEM.
type Exported struct {
	// Data is the file: savedsearches.conf stanzas (splunk), one detection
	// rule per line for the detection engine's import API (elastic), or
	// Sigma rules as YAML documents (sigma).
	Data []byte
	// Skipped are the enabled rules (or scopes of a rule) the SIEM query
	// cannot express, each with why. Splunk and Sigma files carry them as
	// comments too; ndjson has no comments.
	Skipped []Skipped
}

// Skipped is one rule left out of an export.
type Skipped struct {
	Rule, Why string
}

// Export translates the enabled rules of rs. Rules that judge an event
// against state kept across windows (a member's history, a baseline, a
// status) have no equivalent in a scheduled query and are skipped with
// why; the counting rules become scheduled searches over their window,
// run every twelfth of it, which approximates detect's sliding windows
// but not its event-time decisions (a late event is counted by the next
// run, if still within the window).
func Export(rs RuleSet, format string) (Exported, error) {
	var plans []exportPlan
	for _, r := range rs.Rules {
		if !r.Enabled {
			continue
		}
		if err := checkRule(&r); err != nil {
			return Exported{}, fmt.Errorf("detect: export rule %s: %w", r.ID, err)
		}
		plans = append(plans, planOf(r, rs))
	}
	switch format {
	case "splunk":
		return exportSplunk(plans), nil
	case "elastic":
		return exportElastic(plans), nil
	case "sigma":
		return exportSigma(plans)
	}
	return Exported{}, fmt.Errorf("detect: export format %q: want %s", format, strings.Join(ExportFormats, ", "))
}

// What an exported rule does, by the shape of its query.
const (
	kindMatch    = "match"    // each matching event
	kindCount    = "count"    // more than threshold events per scope in the window
	kindDistinct = "distinct" // more than threshold applications per scope in the window
	kindShare    = "share"    // failed logins: share of failures over a minimum of attempts
	kindOffHours = "offhours" // each matching event outside business hours
)

// exportPlan is one enabled rule and how it translates; kind is empty
// when no query expresses it (why says why).
type exportPlan struct {
	rule  Rule
	kind  string
	why   string
	hours BusinessHours
	tz    string
}

// planOf decides how r translates (see the kinds above).
func planOf(r Rule, rs RuleSet) exportPlan {
	p := exportPlan{rule: r, hours: rs.BusinessHours, tz: firstNonEmpty(r.Timezone, rs.Timezone, "UTC")}
	stateful := func(why string) exportPlan { p.why = why; return p }
	switch r.Detector {
	case "location":
		return stateful("judges each login against the member's last countries and networks, a history a scheduled query does not keep")
	case "spike":
		return stateful("compares each window with the key's own baseline of past windows")
	case "inactive":
		return stateful("alerts on an absence: no login for " + days(r.Inactivity) + ", which no query over the rule's window sees")
	case "deactivated":
		return stateful("matches activity against each member's deactivation status, kept across windows in event time")
	case "privilege":
		return stateful("ranks the old and new account type, licence or role, and remembers what each actor already granted")
	case "offhours":
		p.kind = kindOffHours
	case "threshold":
		p.kind = kindCount
	case "failed-logins":
		p.kind = kindShare
	case "distinct", "match":
		if r.Known > 0 {
			return stateful("counts only what is new for the member within " + days(r.Known) + " (known), a history a scheduled query does not keep; remove known to export it")
		}
		p.kind = kindMatch
		if r.Detector == "distinct" {
			p.kind = kindDistinct
		}
	}
	return p
}

// scopes are the rule's scopes, actor when none is set.
func (p exportPlan) scopes() []string {
	if len(p.rule.Scopes) == 0 || p.kind == kindMatch || p.kind == kindOffHours {
		return []string{"actor"}
	}
	return p.rule.Scopes
}

// minCount is the least number of attempts a share is judged on.
func (p exportPlan) minCount(scope string) int {
	if scope == "workspace" {
		return max(p.rule.WorkspaceMinCount, 1)
	}
	return max(p.rule.MinCount, 1)
}

// title names the exported rule (and its scope when it has several).
func (p exportPlan) title(scope string) string {
	t := firstNonEmpty(p.rule.Title, p.rule.ID)
	if len(p.scopes()) > 1 {
		t += " (per " + scope + ")"
	}
	return t
}

// exportID is the rule's deterministic UUID in a target ("sigma", …).
func (p exportPlan) exportID(target, scope string) string {
	return uuid.NewSHA1(Namespace, []byte("export|"+target+"|"+p.rule.ID+"|"+scope)).String()
}

// description says what the rule detects, from what it counts.
func (p exportPlan) description(scope string) string {
	r := p.rule
	w := durationText(time.Duration(r.Window))
	switch p.kind {
	case kindCount:
		return fmt.Sprintf("More than %d events (%s) in %s per %s. Exported from pigment-siem detect rule %s.", r.Threshold, strings.Join(r.Types, ", "), w, scope, r.ID)
	case kindDistinct:
		return fmt.Sprintf("More than %d applications in %s per %s. Exported from pigment-siem detect rule %s.", r.Threshold, w, scope, r.ID)
	case kindShare:
		return fmt.Sprintf("More than %.0f%% of at least %d logins failing in %s per %s. Exported from pigment-siem detect rule %s.", r.Share*100, p.minCount(scope), w, scope, r.ID)
	case kindOffHours:
		return fmt.Sprintf("A login or change outside business hours (%s %s-%s, %s). Exported from pigment-siem detect rule %s.", strings.Join(p.hours.Days, ","), p.hours.Start, p.hours.End, p.tz, r.ID)
	}
	return fmt.Sprintf("%s (%s). Exported from pigment-siem detect rule %s.", firstNonEmpty(r.Title, r.ID), strings.Join(r.Types, ", "), r.ID)
}

// schedule is how often the exported search runs: a twelfth of the
// window, as detect's slides step, at least a minute.
func (p exportPlan) schedule() time.Duration {
	return max(time.Duration(p.rule.Window)/12, time.Minute).Truncate(time.Minute)
}

// technique is a MITRE ATT&CK technique and its main tactic.
type technique struct{ name, tacticID, tactic string }

// techniques are those of the built-in rules, for the threat fields of
// the exports; another technique is exported by id alone.
var techniques = map[string]technique{
	"T1078": {"Valid Accounts", "TA0001", "Initial Access"},
	"T1098": {"Account Manipulation", "TA0003", "Persistence"},
	"T1083": {"File and Directory Discovery", "TA0007", "Discovery"},
	"T1110": {"Brute Force", "TA0006", "Credential Access"},
	"T1119": {"Automated Collection", "TA0009", "Collection"},
	"T1213": {"Data from Information Repositories", "TA0009", "Collection"},
	"T1485": {"Data Destruction", "TA0040", "Impact"},
	"T1565": {"Data Manipulation", "TA0040", "Impact"},
	"T1567": {"Exfiltration Over Web Service", "TA0010", "Exfiltration"},
}

// skipped lists the plans no query expresses, and those whose kind the
// target cannot (why from cannot).
func skipped(plans []exportPlan, cannot map[string]string) []Skipped {
	var out []Skipped
	for _, p := range plans {
		why := firstNonEmpty(p.why, cannot[p.kind])
		if why != "" {
			out = append(out, Skipped{Rule: p.rule.ID, Why: why})
		}
	}
	return out
}

// exportable returns the plans the target can express.
func exportable(plans []exportPlan, cannot map[string]string) []exportPlan {
	return slices.DeleteFunc(slices.Clone(plans), func(p exportPlan) bool { return p.kind == "" || cannot[p.kind] != "" })
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func days(d Duration) string { return durationText(time.Duration(d)) }

// durationText writes whole days as "30d", else as Go does ("1h0m0s" as
// "1h").
func durationText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
