package detect

import (
	"encoding/json"
	"fmt"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// readExtra decodes the extra fields of an event. It is only called for
// the rare event types that need them (role changes, deactivations), so
// encoding/json's cost does not matter; fields of an unexpected type are
// left empty.
func readExtra(ev *transform.Event) *extra {
	var x extra
	_ = json.Unmarshal(transform.AppendJSON(nil, ev.Raw), &x) // Raw as strict JSON; type mismatches only leave fields empty
	return &x
}

// privilege alerts when a role or account-type change (RoleChanged with
// previousRole/newRole in metadata, UserAccountTypeUpdated with
// previousAccountType/newAccountType in payload) moves a member to a higher
// rank in Ranks. Both types must be ranked: an unknown type is not an
// escalation. The key is the member changed; the actor is who changed it.
func (e *Engine) privilege(r *rule, ev *transform.Event, t int64) bool {
	if _, end := e.period(r, t); end <= e.wm {
		return false
	}
	x := readExtra(ev)
	before, after := x.roles()
	rb, ra := r.ranks[before], r.ranks[after]
	if rb == 0 || ra <= rb {
		return true
	}
	target := x.member()
	if target == "" {
		target = "unknown"
	}
	return e.instant(r, scopeMember, target, ev, t, func() string {
		return fmt.Sprintf("%s raised %s from %s to %s (%s)", who(ev), cmpOr(x.email(), target), before, after, ev.Type)
	})
}
