package detect

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	actorrule "github.com/pigment-siem/pipeline/internal/actor"
	"github.com/pigment-siem/pipeline/internal/event"
)

// login records the time of an actor's last successful login, for the
// inactive-members rule. The latest time wins, so the order of events does
// not matter.
func (e *Engine) login(r *rule, ev *event.Event, t int64) bool {
	v := actorKey(ev)
	if ev.Outcome == "failure" || v == "" {
		return true
	}
	if a := e.actorFor(v, ev); a != nil && t > a.lastLogin {
		a.lastLogin = t
	}
	return true
}

// scanInactive reports, once per last login, the members whose last login
// is at least the rule's inactivity before the watermark, unless they were
// deactivated. Members never seen logging in are not tracked. The alert's
// window is [last login, last login + inactivity) and its ID derives from
// the last login, so a rescan or a replay gives the same ID. Advance runs
// it at most once per hour of event time; it also prunes spike baselines and
// the deactivation rule's state.
func (e *Engine) scanInactive() {
	e.pruneBaselines()
	e.pruneStatus()
	e.pruneKnown()
	e.pruneKeys()
	for _, r := range e.cfg.rules {
		if r.det != detInactive {
			continue
		}
		var due []string
		for v, a := range e.actors {
			if a.lastLogin != 0 && a.reported != a.lastLogin && a.lastLogin+r.inactivity <= e.wm {
				due = append(due, v)
			}
		}
		slices.Sort(due)
		for _, v := range due {
			a := e.actors[v]
			a.reported = a.lastLogin
			if e.deactivatedMember(v, a.email) {
				continue
			}
			w := [2]int64{a.lastLogin, a.lastLogin + r.inactivity}
			al := newAlert(r, scopeMember.key(v), w, w, a.lastLogin, a.lastLogin)
			al.Actor, al.ActorEmail = v, a.email
			al.Count = 1
			al.Evidence = []string{}
			al.Description = fmt.Sprintf("%s has not logged in since %s (%d days)",
				cmp.Or(a.email, v), clock(a.lastLogin), r.inactivity/(24*hour))
			e.push(al)
		}
	}
}

// extra holds the fields of the few event types that need more than
// event.Parse reads: who a member change is about and the account
// types before and after. Both vocabularies: metadata (described) and
// payload (public).
type extra struct {
	Metadata extraFields     `json:"metadata"`
	Payload  extraFields     `json:"payload"`
	target   actorrule.Actor // the member changed, by actor.Target
}

type extraFields struct {
	PreviousRole        string `json:"previousRole"`
	OldRole             string `json:"oldRole"`
	NewRole             string `json:"newRole"`
	RoleBefore          string `json:"roleBefore"`
	RoleAfter           string `json:"roleAfter"`
	PreviousAccountType string `json:"previousAccountType"`
	NewAccountType      string `json:"newAccountType"`
	PreviousLicenseType string `json:"previousLicenseType"`
	NewLicenseType      string `json:"newLicenseType"`
}

// UnmarshalJSON reads an event's metadata and payload fields, and the
// member changed by the one rule of internal/actor (the same as
// event.Event.Target*). Fields of an unexpected type are left empty.
func (x *extra) UnmarshalJSON(b []byte) error {
	var raw struct{ Target, Metadata, Payload span }
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Metadata) > 0 {
		_ = json.Unmarshal(raw.Metadata, &x.Metadata)
	}
	if len(raw.Payload) > 0 {
		_ = json.Unmarshal(raw.Payload, &x.Payload)
	}
	x.target = actorrule.Target(raw.Target, raw.Metadata, raw.Payload)
	return nil
}

// span is a JSON value's bytes, aliasing (unlike json.RawMessage, not
// copying) the input: extra reads it only while the event lives.
type span []byte

func (s *span) UnmarshalJSON(b []byte) error {
	*s = b
	return nil
}

// member returns the id (else email) of the member a change is about.
func (x *extra) member() string { return x.target.Key() }

// email returns the email of the member a change is about.
func (x *extra) email() string { return x.target.Email }

// change returns the values before and after a role, account-type or
// licence change, as sent, and which kind of fields held them (orderRoles,
// orderAccountTypes, orderLicenceTypes).
func (x *extra) change() (kind int, before, after string) {
	for _, f := range [...]*extraFields{&x.Metadata, &x.Payload} {
		switch {
		case f.NewAccountType != "":
			return orderAccountTypes, f.PreviousAccountType, f.NewAccountType
		case f.NewLicenseType != "":
			return orderLicenceTypes, f.PreviousLicenseType, f.NewLicenseType
		case f.NewRole != "" || f.RoleAfter != "":
			return orderRoles, cmp.Or(f.PreviousRole, cmp.Or(f.OldRole, f.RoleBefore)), cmp.Or(f.NewRole, f.RoleAfter)
		}
	}
	return orderRoles, "", ""
}
