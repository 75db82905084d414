package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// readExtra decodes the extra fields of an event. It is only called for
// the rare event types that need them (role changes, deactivations), so
// encoding/json's cost does not matter; fields of an unexpected type are
// left empty.
func readExtra(ev *event.Event) *extra {
	var x extra
	_ = json.Unmarshal(transform.AppendJSON(nil, ev.Raw), &x) // Raw as strict JSON; type mismatches only leave fields empty
	return &x
}

// The privilege detector's orders, in the order they are tried for a change
// read from role fields; account-type and licence fields try their own
// order first (see preference).
const (
	orderRoles = iota
	orderAccountTypes
	orderLicenceTypes
	nOrders
)

var orderNames = [nOrders]string{"roles", "account types", "licence types"}

// Pigment's account types and licence types, lowest first (see
// pigment-api-notes.md): the defaults of a rule that lists none.
var (
	pigmentAccountTypes = []Rank{
		{"Standard Member", "Standard User", "Member"},
		{"Builder"},
		{"Workspace Admin", "Admin"},
		{"Security Admin"},
		{"Primary Owner"},
	}
	pigmentLicenceTypes = []Rank{{"Explorer"}, {"Contributor"}, {"Editor"}}
	defaultRoles        = []Rank{{"Viewer"}, {"Contributor"}, {"Builder"}}
)

// order ranks the names of one order: normalised name or alias -> rank
// (1 = lowest).
type order map[string]int

// compileOrders builds the rule's three orders, with their defaults.
func (cr *rule) compileOrders() error {
	roles := cr.Roles
	if len(roles) == 0 && len(cr.Ranks) > 0 {
		for _, name := range cr.Ranks {
			roles = append(roles, Rank{name})
		}
	}
	lists := [nOrders][]Rank{
		orderRoles:        orDefault(roles, defaultRoles),
		orderAccountTypes: orDefault(cr.AccountTypes, pigmentAccountTypes),
		orderLicenceTypes: orDefault(cr.LicenceTypes, pigmentLicenceTypes),
	}
	for k, list := range lists {
		if len(list) < 2 {
			return fmt.Errorf("%s: want at least two, lowest first", orderNames[k])
		}
		o := order{}
		for i, step := range list {
			if len(step) == 0 {
				return fmt.Errorf("%s: step %d has no name", orderNames[k], i+1)
			}
			for _, name := range step {
				n := normRank(name)
				if n == "" {
					return fmt.Errorf("%s: step %d has an empty name", orderNames[k], i+1)
				}
				if _, dup := o[n]; dup {
					return fmt.Errorf("%s: %q appears twice", orderNames[k], name)
				}
				o[n] = i + 1
			}
		}
		cr.orders[k] = o
	}
	return nil
}

func orDefault(list, def []Rank) []Rank {
	if len(list) == 0 {
		return def
	}
	return list
}

// normRank normalises an account type, licence type or role for matching:
// lower case without spaces, '_' and '-' ("Workspace Admin",
// "WORKSPACE_ADMIN" and "workspaceAdmin" are one).
func normRank(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t':
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// privileged reports whether a value names an admin or an owner.
func privileged(norm string) bool {
	return strings.Contains(norm, "admin") || strings.Contains(norm, "owner")
}

// preference lists the orders tried for a change read from fields of kind k.
var preference = [nOrders][nOrders]int{
	orderRoles:        {orderRoles, orderAccountTypes, orderLicenceTypes},
	orderAccountTypes: {orderAccountTypes, orderRoles, orderLicenceTypes},
	orderLicenceTypes: {orderLicenceTypes, orderAccountTypes, orderRoles},
}

// escalation decides whether a change from before to after, read from
// fields of kind k, raises a member, and says why. The first order (in
// k's preference) that ranks both values decides; if none does, a new
// value naming an admin or an owner is an escalation, anything else is not.
func (r *rule) escalation(k int, before, after string) (bool, string) {
	b, a := normRank(before), normRank(after)
	if a == "" {
		return false, ""
	}
	for _, o := range preference[k] {
		rb, okb := r.orders[o][b]
		ra, oka := r.orders[o][a]
		if okb && oka {
			return ra > rb, "higher in " + orderNames[o]
		}
	}
	return privileged(a), "a value outside every order that names an admin or an owner"
}

// privilege alerts when a role, account-type or licence change moves a
// member up (RoleChanged with previousRole/newRole in metadata,
// UserAccountTypeUpdated with previousAccountType/newAccountType in
// payload; see rule.escalation). The key is the member changed; the actor
// is who changed it. With a known period, a raise to a level its actor
// already granted within it is routine, decided once the watermark passes
// it (see use); raising oneself is never routine and alerts at once.
func (e *Engine) privilege(r *rule, ev *event.Event, t int64) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	x := readExtra(ev)
	kind, before, after := x.change()
	up, why := r.escalation(kind, before, after)
	if !up {
		return true
	}
	target := x.member()
	if target == "" {
		target = "unknown"
	}
	desc := func() string {
		return fmt.Sprintf("%s raised %s from %s to %s (%s: %s)", who(ev), cmp.Or(x.email(), target),
			cmp.Or(before, "(none)"), after, ev.Type, why)
	}
	if v := actorKey(ev); r.known > 0 && v != target && v != "" {
		if t <= e.wm {
			return false
		}
		e.use(r, v, normRank(after), t, func() *draft { return newDraft(target, ev, desc()) })
		return true
	}
	return e.instant(r, scopeMember, target, ev, t, desc)
}
