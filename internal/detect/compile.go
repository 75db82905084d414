package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// scope says what a counting rule's key is.
type scope uint8

const (
	scopeActor scope = iota
	scopeApp
	scopeWorkspace
	scopeMember // the member a change is about (privilege, deactivation)
)

var scopeByName = map[string]scope{"actor": scopeActor, "application": scopeApp, "workspace": scopeWorkspace}

var scopePrefix = [...]string{scopeActor: "actor:", scopeApp: "application:", scopeWorkspace: "workspace", scopeMember: "member:"}

// rule is a checked, enabled Rule ready to run.
type rule struct {
	Rule
	idx        uint8
	det        int // detOffHours...
	match      typeMatcher
	loc        *time.Location
	window     int64 // ns
	sup        int64 // ns
	hop        int64 // sliding counting rules: a step, window/steps (ns)
	winDaily   bool  // windows are local days
	supDaily   bool
	scopes     []scope
	slots      []int           // per scope: its counting slot (keyEntry.cells, Engine.wsRefs)
	apps       map[string]bool // sensitive applications (ids and lower-cased names)
	orders     [nOrders]order  // privilege: account types, licence types, roles
	alpha      float64         // spike: EWMA weight of the newest window
	bhStart    int             // off-hours: minutes after midnight
	bhEnd      int
	bhDays     [7]bool
	inactivity int64
	netHistory int // location: networks kept per actor
	ipv4Bits   int // location: prefix of an IPv4 address's network
	ipv6Bits   int
	known      int64 // ns: an item is new to a member not using it for this long (0: off)
	learning   int64 // ns
	knownSlot  int   // index into keyEntry.known
	allow      *allowList
}

// compiled is a compiled RuleSet.
type compiled struct {
	rules       []*rule
	lateness    int64
	maxFuture   int64 // how far after the watermark or bound an event may be dated
	evidenceCap int
	maxActors   int
	horizon     int64 // the longest period a rule keeps open (window or suppression)
	slots       int   // counting slots: one per scope of each counting rule
	knownSlots  int   // rules with a known period
}

// compile checks rs and builds the engine's configuration.
func compile(rs RuleSet) (*compiled, error) {
	lateness := time.Duration(cmp.Or(rs.Lateness, Duration(10*time.Minute)))
	c := &compiled{
		lateness:    int64(lateness),
		maxFuture:   int64(cmp.Or(rs.MaxFuture, Duration(24*time.Hour))),
		evidenceCap: cmp.Or(rs.EvidenceCap, 20),
		maxActors:   cmp.Or(rs.MaxActors, 200000),
	}
	if lateness < 0 || c.maxFuture < 0 || c.evidenceCap < 0 || c.maxActors < 0 {
		return nil, fmt.Errorf("detect: rules: lateness, maxFuture, evidenceCap and maxActors must not be negative")
	}
	seen := map[string]bool{}
	for i := range rs.Rules {
		r := rs.Rules[i] // a copy: defaults do not write back into rs
		if err := checkRule(&r); err != nil {
			return nil, fmt.Errorf("detect: rule %d (%s): %w", i+1, r.ID, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("detect: rule %q appears twice", r.ID)
		}
		seen[r.ID] = true
		if !r.Enabled {
			continue
		}
		if len(c.rules) == 64 {
			return nil, fmt.Errorf("detect: more than 64 enabled rules")
		}
		cr, err := compileRule(r, rs)
		if err != nil {
			return nil, fmt.Errorf("detect: rule %s: %w", r.ID, err)
		}
		cr.idx = uint8(len(c.rules))
		if cr.known > 0 {
			cr.knownSlot = c.knownSlots
			c.knownSlots++
		}
		for range cr.scopes {
			cr.slots = append(cr.slots, c.slots)
			c.slots++
		}
		c.rules = append(c.rules, cr)
		c.horizon = max(c.horizon, cr.window, cr.sup)
	}
	return c, nil
}

func compileRule(r Rule, rs RuleSet) (*rule, error) {
	loc, err := time.LoadLocation(cmp.Or(r.Timezone, cmp.Or(rs.Timezone, "UTC")))
	if err != nil {
		return nil, fmt.Errorf("timezone: %w", err)
	}
	cr := &rule{
		Rule:       r,
		det:        slices.Index(detectors, r.Detector),
		match:      newTypeMatcher(r.Types),
		loc:        loc,
		window:     int64(r.Window),
		sup:        int64(r.Suppression),
		hop:        max(int64(r.Window)/steps, 1),
		winDaily:   r.Window%day == 0,
		supDaily:   r.Suppression%day == 0,
		apps:       map[string]bool{},
		inactivity: int64(cmp.Or(r.Inactivity, 30*day)),
		netHistory: cmp.Or(r.NetworkHistory, r.IPHistory),
		ipv4Bits:   cmp.Or(r.IPv4Prefix, 24),
		ipv6Bits:   cmp.Or(r.IPv6Prefix, 48),
		known:      int64(r.Known),
		learning:   int64(r.Learning),
		allow:      newAllowList(r.Allow),
	}
	for _, s := range r.Scopes {
		cr.scopes = append(cr.scopes, scopeByName[s])
	}
	if len(cr.scopes) == 0 {
		cr.scopes = []scope{scopeActor}
	}
	for _, a := range r.Applications {
		cr.apps[a], cr.apps[strings.ToLower(a)] = true, true
	}
	cr.alpha = 2 / float64(cmp.Or(r.BaselineWindows, 24)+1)
	switch r.Detector {
	case "offhours":
		err = cr.compileHours(rs.BusinessHours)
	case "privilege":
		err = cr.compileOrders()
	case "spike":
		if r.Factor <= 1 || math.IsInf(r.Factor, 0) {
			err = fmt.Errorf("factor %v: want > 1", r.Factor)
		}
	case "location":
		switch {
		case r.History < 1:
			err = fmt.Errorf("history %d: want >= 1", r.History)
		case cr.netHistory < 0:
			err = fmt.Errorf("networkHistory %d: want >= 0", cr.netHistory)
		case cr.ipv4Bits < 1 || cr.ipv4Bits > 32:
			err = fmt.Errorf("ipv4Prefix %d: want 1 to 32", r.IPv4Prefix)
		case cr.ipv6Bits < 1 || cr.ipv6Bits > 128:
			err = fmt.Errorf("ipv6Prefix %d: want 1 to 128", r.IPv6Prefix)
		}
	}
	return cr, err
}

func (cr *rule) compileHours(bh BusinessHours) error {
	var err error
	if cr.bhStart, err = parseClock(cmp.Or(bh.Start, "08:00")); err != nil {
		return err
	}
	if cr.bhEnd, err = parseClock(cmp.Or(bh.End, "19:00")); err != nil {
		return err
	}
	days := bh.Days
	if len(days) == 0 {
		days = []string{"Mon", "Tue", "Wed", "Thu", "Fri"}
	}
	for _, d := range days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return fmt.Errorf("business day %q: want Mon..Sun", d)
		}
		cr.bhDays[wd] = true
	}
	return nil
}

// key builds an alert key from a scope and a value.
func (s scope) key(v string) string {
	if s == scopeWorkspace {
		return scopePrefix[s]
	}
	return scopePrefix[s] + v
}

// align returns the tumbling period [start, end) of length size (ns) that
// holds t (Unix ns): local days in loc when daily, else multiples of size
// since the Unix epoch (UTC).
func align(t, size int64, daily bool, loc *time.Location) (int64, int64) {
	if !daily {
		s := t - ((t%size)+size)%size
		return s, s + size
	}
	lt := time.Unix(0, t).In(loc)
	y, m, d := lt.Date()
	n := int(size / int64(day))
	// Days since a fixed local date, so multi-day periods align too.
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, loc)
	days := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) / time.Duration(day))
	days -= ((days % n) + n) % n
	start := base.AddDate(0, 0, days)
	return start.UnixNano(), start.AddDate(0, 0, n).UnixNano()
}

// periods caches the last local day computed by align, which is costly,
// for rules whose windows or suppression periods are days.
type periods struct {
	start, end int64
}

func (p *periods) get(t, size int64, daily bool, loc *time.Location) (int64, int64) {
	if !daily {
		return align(t, size, false, nil)
	}
	if t >= p.start && t < p.end {
		return p.start, p.end
	}
	p.start, p.end = align(t, size, true, loc)
	return p.start, p.end
}

// ruleNames lists the IDs of compiled rules.
func (c *compiled) ruleNames() []string {
	names := make([]string, len(c.rules))
	for i, r := range c.rules {
		names[i] = r.ID
	}
	return slices.Clip(names)
}
