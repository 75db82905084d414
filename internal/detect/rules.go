package detect

import (
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:embed rules.yaml
var defaultRules []byte

// DefaultRules returns the default rules file shipped with the package
// (rules.yaml), a documented starting point for a team's own file.
func DefaultRules() []byte { return slices.Clone(defaultRules) }

// RuleSet is a loaded rules file. LoadRules fills it and checks it;
// NewEngine checks it again, so a RuleSet built or changed in code is
// validated too.
type RuleSet struct {
	// Timezone is the IANA zone of business hours and of daily windows
	// (default UTC); a rule may override it.
	Timezone      string        `yaml:"timezone"`
	BusinessHours BusinessHours `yaml:"businessHours"`
	// Lateness is how far behind the newest event time an event may arrive
	// and still be counted (default 10m); see Engine.Advance.
	Lateness Duration `yaml:"lateness"`
	// MaxFuture is how far after the caller's bound (detect: the Kafka
	// timestamp of the event's record) an event may be dated and still
	// be counted (default 24h); later ones are counted as future and
	// ignored (Engine.SetBound).
	MaxFuture Duration `yaml:"maxFuture"`
	// EvidenceCap caps the event IDs an alert carries (default 20).
	EvidenceCap int `yaml:"evidenceCap"`
	// MaxActors caps the actors with long-lived state (location history,
	// last login, spike baseline); beyond it new actors are not tracked and
	// Stats.Dropped counts them (default 200000).
	MaxActors int    `yaml:"maxActors"`
	Rules     []Rule `yaml:"rules"`
}

// BusinessHours are the working hours of the off-hours rule: [Start, End)
// local time ("08:00", "19:00") on Days ("Mon".."Sun").
type BusinessHours struct {
	Start string   `yaml:"start"`
	End   string   `yaml:"end"`
	Days  []string `yaml:"days"`
}

// Rule configures one detector. Fields a detector does not use are
// ignored; rules.yaml documents which one uses what.
type Rule struct {
	ID       string `yaml:"id"`       // the alert's rule, e.g. "bulk-deletion"
	Detector string `yaml:"detector"` // which detector runs it; default ID
	Enabled  bool   `yaml:"enabled"`
	Severity string `yaml:"severity"` // low|medium|high|critical
	Title    string `yaml:"title"`
	Mitre    string `yaml:"mitre"`
	Runbook  string `yaml:"runbook"`

	// Window is the event-time window of counting detectors. It slides
	// for threshold, distinct and failed-logins (any Window, in steps of
	// Window/12); the spike detector's is tumbling, aligned on its size
	// (whole days: on local midnight in Timezone).
	Window Duration `yaml:"window"`
	// Suppression: one alert per rule and key per period of this length,
	// aligned like windows; a multiple of Window (default Window, or 1h).
	Suppression Duration `yaml:"suppression"`
	Timezone    string   `yaml:"timezone"`

	Types        []string `yaml:"types"`        // event types: exact, "*", "Prefix*", "*Suffix", "*Part*"
	Scopes       []string `yaml:"scopes"`       // actor, application, workspace
	Applications []string `yaml:"applications"` // sensitive applications, by id or name
	// AccountTypes, LicenceTypes and Roles are the orders of the privilege
	// detector, lowest first, each step a name and its aliases (matched
	// case-insensitively, ignoring spaces, '_' and '-'). Empty AccountTypes
	// and LicenceTypes mean Pigment's; empty Roles mean Ranks, else
	// Viewer < Contributor < Builder.
	AccountTypes []Rank   `yaml:"accountTypes"`
	LicenceTypes []Rank   `yaml:"licenceTypes"`
	Roles        []Rank   `yaml:"roles"`
	Ranks        []string `yaml:"ranks"` // deprecated: Roles without aliases

	Threshold         int      `yaml:"threshold"`         // alert when a count exceeds it
	MinCount          int      `yaml:"minCount"`          // per actor (or key): fewer never alert
	WorkspaceMinCount int      `yaml:"workspaceMinCount"` // the same for the workspace scope
	Factor            float64  `yaml:"factor"`            // spike: count > Factor x baseline
	BaselineWindows   int      `yaml:"baselineWindows"`   // spike: baseline span, in windows
	SkipIdle          bool     `yaml:"skipIdle"`          // spike: windows without events leave the baseline as it is
	Share             float64  `yaml:"share"`             // failed logins: failures/attempts > Share
	History           int      `yaml:"history"`           // location: countries kept per actor
	NetworkHistory    int      `yaml:"networkHistory"`    // location: networks kept per actor (0 = networks not judged)
	IPHistory         int      `yaml:"ipHistory"`         // deprecated: NetworkHistory, when that is 0
	IPv4Prefix        int      `yaml:"ipv4Prefix"`        // location: an IPv4 address's network, in bits (default 24)
	IPv6Prefix        int      `yaml:"ipv6Prefix"`        // location: an IPv6 address's network, in bits (default 48)
	Inactivity        Duration `yaml:"inactivity"`        // inactive members: no login for this long
	// Known, when set, makes the rule judge an event against the member's
	// own history: only an application (broad-access, sensitive-access) or
	// event type (security-config) the member has not used within Known
	// counts. Learning is how long the rule only learns, from the first
	// event it sees, before anything counts as new.
	Known    Duration `yaml:"known"`
	Learning Duration `yaml:"learning"`
	// Allow lists what the rule ignores, before it counts an event.
	Allow Allow `yaml:"allow"`

	Tests []TestCase `yaml:"tests"`
}

// Rank is one step of an order of the privilege detector: a name, then its
// aliases. In YAML it is a string or a list of strings.
type Rank []string

// UnmarshalYAML reads a name or a list of names.
func (r *Rank) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*r = Rank{n.Value}
		return nil
	}
	var names []string
	if err := n.Decode(&names); err != nil {
		return fmt.Errorf("line %d: want a name or a list of names: %w", n.Line, err)
	}
	*r = names
	return nil
}

// Duration is a time.Duration read from YAML as "90s", "10m", "24h" or "30d".
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want a number of days like 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want e.g. 90s, 10m, 24h or 30d", s)
	}
	return v, nil
}

// LoadRules parses and checks a rules file. Unknown keys are errors, so a
// misspelt threshold does not silently keep its default.
func LoadRules(yamlBytes []byte) (RuleSet, error) {
	var rs RuleSet
	dec := yaml.NewDecoder(strings.NewReader(string(yamlBytes)))
	dec.KnownFields(true)
	if err := dec.Decode(&rs); err != nil {
		return RuleSet{}, fmt.Errorf("detect: rules: %w", err)
	}
	if _, err := compile(rs); err != nil {
		return RuleSet{}, err
	}
	return rs, nil
}

var severities = []string{"low", "medium", "high", "critical"}

// detectors lists the detector names a rule may use.
var detectors = []string{
	"offhours", "location", "threshold", "distinct", "spike", "privilege",
	"match", "failed-logins", "inactive", "deactivated",
}

// checkRule validates what every detector needs and applies defaults.
func checkRule(r *Rule) error {
	r.Detector = cmp.Or(r.Detector, r.ID)
	switch {
	case r.ID == "" || strings.Contains(r.ID, "|"):
		return errors.New("a rule needs an id without '|'")
	case !slices.Contains(detectors, r.Detector):
		return fmt.Errorf("detector %q: want one of %s", r.Detector, strings.Join(detectors, ", "))
	case !slices.Contains(severities, r.Severity):
		return fmt.Errorf("severity %q: want low, medium, high or critical", r.Severity)
	case r.Window < 0 || r.Suppression < 0 || r.Inactivity < 0 || r.Known < 0 || r.Learning < 0:
		return errors.New("window, suppression, inactivity, known and learning must not be negative")
	case r.Threshold < 0 || r.MinCount < 0 || r.WorkspaceMinCount < 0 || r.Factor < 0 || r.Share < 0 || r.Share > 1:
		return errors.New("threshold, minCount, factor must not be negative; share within [0, 1]")
	}
	for _, s := range r.Scopes {
		if _, ok := scopeByName[s]; !ok {
			return fmt.Errorf("scope %q: want actor, application or workspace", s)
		}
	}
	if r.Window == 0 {
		r.Window = Duration(time.Hour)
	}
	if r.Suppression == 0 {
		r.Suppression = r.Window
	}
	if r.Suppression%r.Window != 0 || (r.Window >= day && r.Window%day != 0) {
		return fmt.Errorf("suppression %v must be a multiple of window %v, and a window of a day or more whole days",
			time.Duration(r.Suppression), time.Duration(r.Window))
	}
	return nil
}

const day = Duration(24 * time.Hour)

// parseClock reads "HH:MM" as minutes after midnight ("24:00" allowed).
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	return hh*60 + mm, nil
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// typeMatcher matches event types against a rule's Types patterns.
type typeMatcher struct {
	all           bool
	exact         map[string]bool
	pre, suf, sub []string
}

func newTypeMatcher(patterns []string) typeMatcher {
	m := typeMatcher{exact: map[string]bool{}}
	for _, p := range patterns {
		s, pre := strings.CutPrefix(p, "*")
		s, suf := strings.CutSuffix(s, "*")
		switch {
		case p == "*":
			m.all = true
		case pre && suf:
			m.sub = append(m.sub, s)
		case pre:
			m.suf = append(m.suf, s)
		case suf:
			m.pre = append(m.pre, s)
		default:
			m.exact[p] = true
		}
	}
	return m
}

func (m *typeMatcher) match(t string) bool {
	if m.all || m.exact[t] {
		return true
	}
	for _, s := range m.pre {
		if strings.HasPrefix(t, s) {
			return true
		}
	}
	for _, s := range m.suf {
		if strings.HasSuffix(t, s) {
			return true
		}
	}
	for _, s := range m.sub {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}
