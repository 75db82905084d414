package inventory

import (
	"fmt"
	"strings"
)

// The findings' rules, as their alerts name them.
const (
	RuleNaming           = "naming-violation"
	RuleComplexMetric    = "complex-metric"
	RuleLargeApplication = "large-application"
	RuleDrift            = "inventory-drift"
)

var rules = []string{RuleNaming, RuleComplexMetric, RuleLargeApplication, RuleDrift}

// typeMetric is the block type of metrics.
const typeMetric = "Metric"

// Finding is one thing the policy found in a snapshot. A state finding
// (every rule but drift) is open while it persists; a drift finding is a
// change, alerted with the snapshot that saw it.
type Finding struct {
	Rule        string
	Key         string // "block:<application id>/<block id>" or "application:<id>"
	Severity    string
	Title       string
	Description string
	Application string // the application's id
	Count       int    // dimensions, blocks, or import configurations
	Evidence    []string
}

// transient says whether f is a change (alerted once, never kept open).
func (f Finding) transient() bool { return f.Rule == RuleDrift }

// Evaluate returns what the policy finds in cur, given the changes from
// the snapshot before it; extra adds exemptions (inline tests).
func (p *Policy) Evaluate(cur *Snapshot, changes []Change, extra []Exemption) []Finding {
	var out []Finding
	for i := range cur.Applications {
		a := &cur.Applications[i]
		out = append(out, p.largeApplication(a, extra)...)
		for j := range a.Blocks {
			out = append(out, p.blockFindings(a, &a.Blocks[j], extra)...)
		}
	}
	return append(out, p.drift(changes, extra)...)
}

func (p *Policy) largeApplication(a *Application, extra []Exemption) []Finding {
	n, lp := len(a.Blocks), p.LargeApplication
	if n <= int(lp.MaxBlocks) || p.exempt(extra, RuleLargeApplication, a, nil) {
		return nil
	}
	sev, limit := lp.Severity, int(lp.MaxBlocks)
	if n > int(lp.WarningBlocks) {
		sev, limit = lp.WarningSeverity, int(lp.WarningBlocks)
	}
	return []Finding{{Rule: RuleLargeApplication, Key: applicationKey(a.ID), Severity: string(sev), Application: a.ID, Count: n,
		Title:       fmt.Sprintf("Large application %s: %d blocks", a.Name, n),
		Description: fmt.Sprintf("Application %q (%s) has %d blocks, more than %d: consider splitting it.", a.Name, a.ID, n, limit),
		Evidence:    []string{a.ID}}}
}

func (p *Policy) blockFindings(a *Application, b *Block, extra []Exemption) []Finding {
	var out []Finding
	if re, ok := p.Naming.Patterns[b.Type]; ok && !re.MatchString(b.Name) && !p.exempt(extra, RuleNaming, a, b) {
		out = append(out, Finding{Rule: RuleNaming, Key: blockKey(a.ID, b.ID), Severity: string(p.Naming.Severity), Application: a.ID, Count: 1,
			Title:       fmt.Sprintf("%s %q breaks the naming convention", b.Type, b.Name),
			Description: fmt.Sprintf("Block %q (%s) of application %q is a %s whose name does not match %s.", b.Name, b.ID, a.Name, b.Type, re),
			Evidence:    []string{b.ID}})
	}
	max := int(p.ComplexMetric.MaxDimensions)
	if b.Type == typeMetric && b.HasDimensions && len(b.Dimensions) > max && !p.exempt(extra, RuleComplexMetric, a, b) {
		out = append(out, Finding{Rule: RuleComplexMetric, Key: blockKey(a.ID, b.ID), Severity: string(p.ComplexMetric.Severity), Application: a.ID,
			Count:       len(b.Dimensions),
			Title:       fmt.Sprintf("Metric %q has %d dimensions", b.Name, len(b.Dimensions)),
			Description: fmt.Sprintf("Metric %q (%s) of application %q has %d dimensions, more than %d: %s.", b.Name, b.ID, a.Name, len(b.Dimensions), max, strings.Join(b.Dimensions, ", ")),
			Evidence:    []string{b.ID}})
	}
	return out
}

// drift finds the deletions and renames of blocks import configurations
// used.
func (p *Policy) drift(changes []Change, extra []Exemption) []Finding {
	var out []Finding
	for _, c := range changes {
		if c.Object != ObjectBlock || c.Imports == 0 || (c.Kind != Deleted && c.Kind != Renamed) {
			continue
		}
		a := &Application{}
		a.ID, a.Name = c.Application, c.ApplicationName
		b, old := &Block{}, &Block{}
		b.ID, b.Name = c.ID, c.Name
		old.ID, old.Name = c.ID, c.OldName
		if p.exempt(extra, RuleDrift, a, b) || (c.OldName != "" && p.exempt(extra, RuleDrift, a, old)) {
			continue
		}
		what := "deleted"
		if c.Kind == Renamed {
			what = fmt.Sprintf("renamed from %q", c.OldName)
		}
		out = append(out, Finding{Rule: RuleDrift, Key: blockKey(c.Application, c.ID), Severity: string(p.Drift.Severity), Application: c.Application,
			Count:       c.Imports,
			Title:       fmt.Sprintf("Block %q used by imports was %s", c.Name, c.Kind),
			Description: fmt.Sprintf("Block %q (%s) of application %s, which %d import configuration(s) use, was %s: check the imports.", c.Name, c.ID, c.Application, c.Imports, what),
			Evidence:    []string{c.ID}})
	}
	return out
}
