package detect

import (
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// Allow is a rule's allow list: the rule ignores events whose actor is one
// of Members, or whose application is one of Applications, before it counts
// them. Members are ids or emails, Applications ids or names, all matched
// ignoring case; a "*" matches any run of characters, so service accounts
// go in by pattern ("*@integrations.acme.example", "svc-*").
type Allow struct {
	Members      []string `yaml:"members"`
	Applications []string `yaml:"applications"`
}

// allowList is a compiled Allow.
type allowList struct {
	members, apps pattern
}

// pattern matches strings against exact values and "*" patterns, lower-cased.
type pattern struct {
	exact map[string]bool
	globs [][]string // each a pattern split on "*"
}

func newAllowList(a Allow) *allowList {
	if len(a.Members) == 0 && len(a.Applications) == 0 {
		return nil
	}
	return &allowList{members: newPattern(a.Members), apps: newPattern(a.Applications)}
}

func newPattern(list []string) pattern {
	p := pattern{exact: map[string]bool{}}
	for _, s := range list {
		s = strings.ToLower(s)
		if strings.Contains(s, "*") {
			p.globs = append(p.globs, strings.Split(s, "*"))
		} else {
			p.exact[s] = true
		}
	}
	return p
}

// match reports whether any of vs (lower-cased here) matches.
func (p *pattern) match(vs ...string) bool {
	for _, v := range vs {
		if v == "" {
			continue
		}
		v = strings.ToLower(v)
		if p.exact[v] {
			return true
		}
		for _, g := range p.globs {
			if glob(g, v) {
				return true
			}
		}
	}
	return false
}

// glob reports whether v matches the pattern split on "*" into parts.
func glob(parts []string, v string) bool {
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	last := len(parts) - 1
	for _, mid := range parts[1:last] {
		i := strings.Index(v, mid)
		if i < 0 {
			return false
		}
		v = v[i+len(mid):]
	}
	return len(v) >= len(parts[last]) && strings.HasSuffix(v, parts[last])
}

// allowed reports whether rule r ignores ev by its allow list, cached per
// actor (and email) and per application (and name) while their cache
// entries live.
func (e *Engine) allowed(r *rule, ev *event.Event) bool {
	bit := uint64(1) << r.idx
	return e.curActor.allowCache(0).match(&r.allow.members, bit, ev.ActorID, ev.ActorEmail) ||
		e.curApp.allowCache(1).match(&r.allow.apps, bit, ev.AppID, ev.AppName)
}

// allowCache remembers, for one key, which rules' allow lists match it:
// name is the key's second value (actor email, application name) that set
// was computed for, set the rules computed (bits), bits those that match.
type allowCache struct {
	name      string
	set, bits uint64
}

// allowCache returns the entry's cache of allow list i (0: members, 1:
// applications), or nil when there is no entry.
func (k *keyEntry) allowCache(i int) *allowCache {
	if k == nil {
		return nil
	}
	return &k.allow[i]
}

// match reports whether p matches id or name, for the rule with bit,
// cached in c (nil: no cache) while name is unchanged.
func (c *allowCache) match(p *pattern, bit uint64, id, name string) bool {
	if c == nil {
		return p.match(id, name)
	}
	if c.name != name {
		c.name, c.set, c.bits = strings.Clone(name), 0, 0
	}
	if c.set&bit == 0 {
		c.set |= bit
		if p.match(id, name) {
			c.bits |= bit
		}
	}
	return c.bits&bit != 0
}
