package detect

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// actor is the long-lived state of one member: the last countries and
// networks it logged in from (oldest first, at most History and
// NetworkHistory), its last successful login, and the last login already
// reported inactive.
type actor struct {
	countries []string
	networks  []netID
	lastLogin int64
	reported  int64
	email     string
}

// actorFor returns the state of member v, creating it unless MaxActors is
// reached (then nil, and Stats.Dropped counts it).
// v is the event's actor key (Engine.curActor caches the state).
func (e *Engine) actorFor(v string, ev *event.Event) *actor {
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
		e.actors[ke.nameOf(v)] = a
	}
	if ke != nil {
		ke.actor = a
	}
	return a
}

// location judges a successful login by where it comes from. With a
// country in the event, a country missing from the actor's recent ones
// alerts; the network is only evidence. Without one, a network missing from
// the actor's recent ones alerts. A network is the login's autonomous
// system when the event carries one, and its address's prefix (/24, /48 by
// default); either known makes the login's network known. The first login
// with a country (or a network) only starts that history; an address that
// does not parse is no network. Histories are updated in processing order,
// so two logins of one actor reordered across a suppression period boundary
// may alert differently.
func (e *Engine) location(r *rule, ev *event.Event, t int64) bool {
	v := actorKey(ev)
	if ev.Outcome == "failure" || v == "" {
		return true
	}
	var nets [2]netID
	n := 0
	if r.netHistory > 0 {
		if id, ok := asnNet(ev.ASN); ok {
			nets[n], n = id, n+1
		}
		if id, ok := addrNet(ev.SourceIP, r.ipv4Bits, r.ipv6Bits); ok {
			nets[n], n = id, n+1
		}
	}
	if ev.Country == "" && n == 0 {
		return true
	}
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	a := e.actorFor(v, ev)
	if a == nil {
		return true
	}
	newCountry := ev.Country != "" && !slices.Contains(a.countries, ev.Country)
	knownNet := false
	for _, id := range nets[:n] {
		knownNet = knownNet || slices.Contains(a.networks, id)
	}
	alert := newCountry && len(a.countries) > 0 ||
		ev.Country == "" && n > 0 && !knownNet && len(a.networks) > 0
	ok := true
	if alert { // before the histories change: the text names what the actor knew
		ok = e.instant(r, scopeActor, v, ev, t, func() string {
			return e.locationText(a, ev, nets[:n], newCountry, knownNet)
		})
	}
	if newCountry {
		a.countries = pushCapped(a.countries, intern(ev.Country), r.History)
	}
	for _, id := range nets[:n] {
		if !slices.Contains(a.networks, id) {
			a.networks = pushCapped(a.networks, id, r.netHistory)
		}
	}
	return ok
}

// locationText describes an unusual login with the actor's history before it.
func (e *Engine) locationText(a *actor, ev *event.Event, nets []netID, newCountry, knownNet bool) string {
	net := "no network"
	if len(nets) > 0 {
		names := make([]string, len(nets))
		for i, id := range nets {
			names[i] = id.String()
		}
		net = "network " + strings.Join(names, ", ")
	}
	if newCountry {
		state := "new"
		if knownNet {
			state = "known"
		}
		return fmt.Sprintf("%s by %s from country %s (IP %s, %s (%s)), not among the actor's recent countries %s",
			ev.Type, who(ev), ev.Country, cmp.Or(ev.SourceIP, "unknown"), net, state, strings.Join(a.countries, ", "))
	}
	known := make([]string, len(a.networks))
	for i, id := range a.networks {
		known[i] = id.String()
	}
	return fmt.Sprintf("%s by %s from %s (IP %s), no country in the event, not among the actor's recent networks %s",
		ev.Type, who(ev), net, cmp.Or(ev.SourceIP, "unknown"), strings.Join(known, ", "))
}

// netID is a network a login came from: an address prefix (bits > 0; IPv4
// as ::ffff:a.b.c.0) or an autonomous system (bits 0). It is comparable and
// holds no pointer: 24 bytes per network remembered.
type netID struct {
	addr [16]byte
	bits uint8
	asn  uint32
}

// addrNet returns the network of an address: its first v4 or v6 bits. An
// IPv4-mapped IPv6 address is its IPv4 address; a port or zone is ignored;
// an address that does not parse has none.
func addrNet(s string, v4, v6 int) (netID, bool) {
	if s == "" {
		return netID{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netID{}, false
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	bits := v6
	if a.Is4() {
		bits = v4
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netID{}, false
	}
	return netID{addr: p.Addr().As16(), bits: uint8(bits)}, true
}

// asnNet returns the network of an autonomous system number, "3215" or
// "AS3215"; 0 and anything else are none.
func asnNet(s string) (netID, bool) {
	if s == "" {
		return netID{}, false // and no error to allocate
	}
	if len(s) > 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's') {
		s = s[2:]
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return netID{}, false
	}
	return netID{asn: uint32(n)}, true
}

// String returns "AS3215" or the prefix, "81.2.3.0/24", "2001:db8:1::/48".
func (n netID) String() string {
	if n.bits == 0 {
		return "AS" + strconv.FormatUint(uint64(n.asn), 10)
	}
	return netip.PrefixFrom(netip.AddrFrom16(n.addr).Unmap(), int(n.bits)).String()
}

// parseNetID reads what String wrote (saved state).
func parseNetID(s string) (netID, bool) {
	if id, ok := asnNet(s); ok && strings.HasPrefix(strings.ToUpper(s), "AS") {
		return id, true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Bits() == 0 {
		return netID{}, false
	}
	p = p.Masked()
	return netID{addr: p.Addr().As16(), bits: uint8(p.Bits())}, true
}

// pushCapped appends v to s, dropping the oldest element beyond n.
func pushCapped[T any](s []T, v T, n int) []T {
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

// restoreNetworks reads an actor's saved networks; the addresses of a
// state saved before networks become their networks under the location
// rule's prefixes, so an upgrade does not make every next login new.
func (c *compiled) restoreNetworks(a snapActor) []netID {
	var out []netID
	add := func(id netID, ok bool) {
		if ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, s := range a.Networks {
		add(parseNetID(s))
	}
	for _, r := range c.rules {
		if r.Detector == "location" {
			for _, ip := range a.IPs {
				add(addrNet(ip, r.ipv4Bits, r.ipv6Bits))
			}
			break
		}
	}
	return out
}
