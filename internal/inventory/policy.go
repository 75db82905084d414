package inventory

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed policy.yaml
var defaultPolicy []byte

// DefaultPolicy returns the built-in policy file (policy.yaml), a
// documented starting point for a team's own.
func DefaultPolicy() []byte { return slices.Clone(defaultPolicy) }

// Policy is a loaded policy file: what the findings judge, their
// severities, the KPI targets and thresholds, exemptions and inline tests.
// LoadPolicy fills and checks it; it is read-only afterwards and safe for
// concurrent use.
type Policy struct {
	Naming struct {
		Severity Severity           `yaml:"severity"`
		Patterns map[string]Pattern `yaml:"patterns"` // block type -> pattern
	} `yaml:"naming"`
	ComplexMetric struct {
		Severity      Severity `yaml:"severity"`
		MaxDimensions Count    `yaml:"maxDimensions"`
	} `yaml:"complexMetric"`
	AverageDimensions struct {
		// Target: the average dimensions per metric should stay below it.
		Target float64 `yaml:"target"`
	} `yaml:"averageDimensions"`
	LargeApplication struct {
		Severity        Severity `yaml:"severity"`
		MaxBlocks       Count    `yaml:"maxBlocks"`
		WarningBlocks   Count    `yaml:"warningBlocks"`
		WarningSeverity Severity `yaml:"warningSeverity"`
	} `yaml:"largeApplication"`
	Drift struct {
		Severity Severity `yaml:"severity"`
	} `yaml:"drift"`
	// Thresholds are those of the daily threshold alerts, which the KPIs
	// decide; the inventory only carries them.
	Thresholds struct {
		DailyChanges        Count `yaml:"dailyChanges"`
		DailySecurityEvents Count `yaml:"dailySecurityEvents"`
		FailedLoginShare    Share `yaml:"failedLoginShare"`
		APIErrorRate        Share `yaml:"apiErrorRate"`
	} `yaml:"thresholds"`
	Exempt []Exemption `yaml:"exempt"`
	Tests  []TestCase  `yaml:"tests"`
}

// Exemption spares an application, or a block (within Application when
// both are set), each by id or name, from Rules (every rule when empty).
type Exemption struct {
	Application string   `yaml:"application"`
	Block       string   `yaml:"block"`
	Rules       []string `yaml:"rules"`
}

// Severity is low, medium, high or critical.
type Severity string

// UnmarshalYAML accepts only the four severities.
func (s *Severity) UnmarshalYAML(n *yaml.Node) error {
	if !slices.Contains([]string{"low", "medium", "high", "critical"}, n.Value) {
		return fmt.Errorf("line %d: severity %q: want low, medium, high or critical", n.Line, n.Value)
	}
	*s = Severity(n.Value)
	return nil
}

// Count is a positive whole number.
type Count int

// UnmarshalYAML accepts a positive integer.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	var v int
	if err := n.Decode(&v); err != nil || v < 1 {
		return fmt.Errorf("line %d: %q: want a positive whole number", n.Line, n.Value)
	}
	*c = Count(v)
	return nil
}

// Share is a fraction in (0, 1].
type Share float64

// UnmarshalYAML accepts a number above 0 and at most 1.
func (s *Share) UnmarshalYAML(n *yaml.Node) error {
	var v float64
	if err := n.Decode(&v); err != nil || v <= 0 || v > 1 {
		return fmt.Errorf("line %d: %q: want a share above 0 and at most 1 (0.05 for 5 %%)", n.Line, n.Value)
	}
	*s = Share(v)
	return nil
}

// Pattern is a compiled Go regular expression.
type Pattern struct{ *regexp.Regexp }

// UnmarshalYAML compiles the pattern.
func (p *Pattern) UnmarshalYAML(n *yaml.Node) error {
	re, err := regexp.Compile(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: pattern %q: %w", n.Line, n.Value, err)
	}
	p.Regexp = re
	return nil
}

// LoadPolicy parses and checks a policy file. Unknown keys are errors, so
// a misspelt threshold does not silently keep its default; every error
// names its line.
func LoadPolicy(raw []byte) (*Policy, error) {
	var p Policy
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("policy: the file is empty")
		}
		return nil, fmt.Errorf("policy: %w", err)
	}
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return &p, nil
}

// check requires what has no sensible default: every severity and
// threshold is written out, so a file states its whole policy.
func (p *Policy) check() error {
	var missing []string
	for name, set := range map[string]bool{
		"naming.severity":                  p.Naming.Severity != "",
		"complexMetric.severity":           p.ComplexMetric.Severity != "",
		"complexMetric.maxDimensions":      p.ComplexMetric.MaxDimensions > 0,
		"averageDimensions.target":         p.AverageDimensions.Target > 0,
		"largeApplication.severity":        p.LargeApplication.Severity != "",
		"largeApplication.maxBlocks":       p.LargeApplication.MaxBlocks > 0,
		"largeApplication.warningBlocks":   p.LargeApplication.WarningBlocks > 0,
		"largeApplication.warningSeverity": p.LargeApplication.WarningSeverity != "",
		"drift.severity":                   p.Drift.Severity != "",
		"thresholds.dailyChanges":          p.Thresholds.DailyChanges > 0,
		"thresholds.dailySecurityEvents":   p.Thresholds.DailySecurityEvents > 0,
		"thresholds.failedLoginShare":      p.Thresholds.FailedLoginShare > 0,
		"thresholds.apiErrorRate":          p.Thresholds.APIErrorRate > 0,
	} {
		if !set {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if p.LargeApplication.WarningBlocks < p.LargeApplication.MaxBlocks {
		return errors.New("largeApplication.warningBlocks must not be below maxBlocks")
	}
	for i, e := range p.Exempt {
		if err := e.check(); err != nil {
			return fmt.Errorf("exempt[%d]: %w", i, err)
		}
	}
	return nil
}

func (e Exemption) check() error {
	if e.Application == "" && e.Block == "" {
		return errors.New("an exemption names an application, a block or both")
	}
	for _, r := range e.Rules {
		if !slices.Contains(rules, r) {
			return fmt.Errorf("rule %q: want one of %s", r, strings.Join(rules, ", "))
		}
	}
	return nil
}

// exempt says whether rule spares block b (nil: the application itself)
// of application a.
func (p *Policy) exempt(extra []Exemption, rule string, a *Application, b *Block) bool {
	for _, e := range slices.Concat(p.Exempt, extra) {
		if len(e.Rules) > 0 && !slices.Contains(e.Rules, rule) {
			continue
		}
		appOK := e.Application == "" || e.Application == a.ID || e.Application == a.Name
		switch {
		case !appOK:
		case e.Block == "":
			return true
		case b != nil && (e.Block == b.ID || e.Block == b.Name):
			return true
		}
	}
	return false
}
