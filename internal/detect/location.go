package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// actor is the long-lived state of one member: the last countries and IP
// addresses it logged in from (oldest first, at most History and
// IPHistory), its last successful login, and the last login already
// reported inactive.
type actor struct {
	countries []string
	ips       []string
	lastLogin int64
	reported  int64
	email     string
}

// actorFor returns the state of member v, creating it unless MaxActors is
// reached (then nil, and Stats.Dropped counts it).
// v is the event's actor key (Engine.curActor caches the state).
func (e *Engine) actorFor(v string, ev *transform.Event) *actor {
	ke := e.curActor
	if ke != nil && ke.actor != nil {
		return ke.actor
	}
	a := e.actors[v]
	if a == nil {
		if len(e.actors) >= e.cfg.maxActors {
			e.stats.Dropped++
			return nil
		}
		a = &actor{email: strings.Clone(ev.ActorEmail)}
		if ke != nil {
			e.actors[ke.name] = a
		} else {
			e.actors[strings.Clone(v)] = a
		}
	}
	if ke != nil {
		ke.actor = a
	}
	return a
}

// location alerts when a successful login comes from a country, or (with
// IPHistory > 0) an IP address, missing from the actor's recent history.
// An actor's first login only starts its history. The history is updated
// in processing order, so two logins of one actor reordered across a
// suppression period boundary may alert differently.
func (e *Engine) location(r *rule, ev *transform.Event, t int64) bool {
	v := actorKey(ev)
	if ev.Outcome == "failure" || v == "" || (ev.Country == "" && ev.SourceIP == "") {
		return true
	}
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	a := e.actorFor(v, ev)
	if a == nil {
		return true
	}
	var newCountry, newIP bool
	if ev.Country != "" && !slices.Contains(a.countries, ev.Country) {
		newCountry = len(a.countries) > 0
		a.countries = pushCapped(a.countries, intern(ev.Country), r.History)
	}
	if r.IPHistory > 0 && ev.SourceIP != "" && !slices.Contains(a.ips, ev.SourceIP) {
		newIP = len(a.ips) > 0
		a.ips = pushCapped(a.ips, strings.Clone(ev.SourceIP), r.IPHistory)
	}
	if !newCountry && !newIP {
		return true
	}
	return e.instant(r, scopeActor, v, ev, t, func() string {
		what := "IP address " + ev.SourceIP
		if newCountry {
			what = fmt.Sprintf("country %s (IP %s)", ev.Country, cmpOr(ev.SourceIP, "unknown"))
		}
		return fmt.Sprintf("%s by %s from %s, not among the actor's recent locations", ev.Type, who(ev), what)
	})
}

// pushCapped appends v to s, dropping the oldest element beyond n.
func pushCapped(s []string, v string, n int) []string {
	if len(s) < n {
		return append(s, v)
	}
	copy(s, s[1:])
	s[len(s)-1] = v
	return s
}

// countryNames interns country codes: there are a few hundred, shared by
// every actor's history.
var countryNames = map[string]string{}

func intern(c string) string {
	if s, ok := countryNames[c]; ok {
		return s
	}
	s := strings.Clone(c)
	if len(countryNames) < 1024 {
		countryNames[s] = s
	}
	return s
}
