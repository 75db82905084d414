package event

import (
	"errors"

	"github.com/pigment-siem/pipeline/internal/actor"
	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// read validates raw and reads its members into ev and f.
func (ev *Event) read(raw []byte, f *found) error {
	s := scanner{jsonscan.Scanner{B: raw}}
	s.SkipSpace()
	if s.Peek() != '{' {
		if err := s.Value(0); err != nil {
			return err
		}
		return errors.New("transform: record is not a JSON object")
	}
	if err := ev.object(&s, partTop, f, nil, nil); err != nil {
		return err
	}
	s.SkipSpace()
	if s.More() {
		return s.Errorf("data after the top-level object")
	}
	return nil
}

// fields holds what a metadata, payload or context object may carry, by
// slot (see slotOf).
type fields [nFields]string

// Slots of fields.
const (
	fIP = iota
	fCountry
	fASN
	fOutcome
	fStatus
	fAppID
	fAppName
	fPrevAccount
	fNewAccount
	fPrevRole
	fNewRole
	fPrevLicense
	fNewLicense
	fBlockID
	fBlockName
	nFields
)

// found holds what a record carries beside its Event's own fields: what
// its context and its metadata/payload objects carry (used where nothing
// better is known), what an event's target, metadata and payload name of a
// member changed (for actor.TargetOf), and where the last eventId and
// ingestionTimestamp values start (offset+1; 0 when absent) with the text
// of the latter, for ParseAPI.
type found struct {
	ctx, body                 fields
	target, metadata, payload actor.Member
	idAt, ingestedAt          int
	ingested                  string
}

// part names an object of a record, which says how its members are read.
type part uint8

const (
	partTop    part = iota // the record itself (top)
	partApp                // an event's target or an alert's application (app)
	partWindow             // an alert's window (window)
	partFields             // metadata, payload or context (fields.member)
)

// object reads the object at s.I as part p (fl: the fields of partFields;
// m, if not nil, gets what it names of a member changed); any other value
// is skipped (a null target, a string where an object was expected). It is
// the one loop over the members of a record's objects: it dispatches on p
// rather than take a callback, which would move the scanner to the heap and
// cost an allocation per record.
func (ev *Event) object(s *scanner, p part, f *found, fl *fields, m *actor.Member) error {
	if ok, err := s.Enter(1); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil || !ok {
			return err
		}
		switch p {
		case partTop:
			if ev.Kind == KindAlert {
				err = ev.topAlert(s, key, f)
			} else {
				err = ev.top(s, key, f)
			}
		case partApp:
			err = ev.app(s, key, m)
		case partWindow:
			err = ev.window(s, key)
		default:
			err = fl.member(s, key, m)
		}
		if err != nil {
			return err
		}
	}
}

// top reads the value of one top-level member of an event. Each switch
// on the key alone compiles to a search on its length and bytes, where
// one case per key and kind compared the key with each in turn.
func (ev *Event) top(s *scanner, key []byte, f *found) (err error) {
	switch string(key) {
	case "eventId":
		f.idAt = s.I + 1
		ev.ID, err = s.String(1)
	case "eventType":
		ev.Type, err = s.String(1)
	case "eventTimestamp":
		ev.Time, _, err = s.time(ev.Time, true)
	case "ingestionTimestamp":
		f.ingestedAt = s.I + 1
		ev.Ingested, f.ingested, err = s.time(ev.Ingested, true)
	case "actor":
		err = ev.readActor(s)
	case "target":
		// Target reads the last target (metadata, payload) of a record.
		f.target = actor.Member{}
		err = ev.object(s, partApp, f, nil, &f.target)
	case "context":
		err = ev.object(s, partFields, f, &f.ctx, nil)
	case "metadata":
		f.metadata = actor.Member{}
		err = ev.object(s, partFields, f, &f.body, &f.metadata)
	case "payload":
		f.payload = actor.Member{}
		err = ev.object(s, partFields, f, &f.body, &f.payload)
	default:
		err = s.Value(1)
	}
	return err
}

// topAlert reads the value of one top-level member of an alert.
func (ev *Event) topAlert(s *scanner, key []byte, f *found) (err error) {
	start := s.I
	switch string(key) {
	case "id":
		f.idAt = start + 1
		ev.ID, err = s.String(1)
	case "rule":
		ev.Type, err = s.String(1)
	case "lastEventTime":
		ev.Time, _, err = s.time(ev.Time, true)
	case "firstEventTime":
		ev.Time, _, err = s.time(ev.Time, false)
	case "severity":
		ev.Severity, err = s.String(1)
	case "title":
		ev.Title, err = s.String(1)
	case "mitre":
		ev.Mitre, err = s.String(1)
	case "window":
		err = ev.object(s, partWindow, f, nil, nil)
	case "count":
		ev.Count, err = s.int()
	case "evidence":
		// On an error, start may be the end of a truncated record.
		if err = s.Value(1); err == nil && s.B[start] == '[' {
			ev.Evidence = s.B[start:s.I]
		}
	case "actor":
		err = ev.readActor(s)
	case "application":
		if s.Peek() == '"' {
			ev.AppID, err = s.String(1)
		} else {
			err = ev.object(s, partApp, f, nil, nil)
		}
	default:
		err = s.Value(1)
	}
	return err
}

// readActor reads the actor value at s.I, in any shape, with the one rule
// of internal/actor, validating it in the same pass. A repeated actor
// replaces the one before, unless it is invalid (then the record is).
func (ev *Event) readActor(s *scanner) error {
	a, err := actor.Read(&s.Scanner, 1)
	if err != nil {
		return err
	}
	ev.ActorID, ev.ActorEmail, ev.ActorName = a.ID, a.Email, a.Name
	return nil
}

// app reads a member of a target (events) or application (alerts) object;
// m gets what a target names of a member changed.
func (ev *Event) app(s *scanner, key []byte, m *actor.Member) (err error) {
	switch string(key) {
	case "applicationId", "id":
		ev.AppID, err = s.String(2)
	case "applicationName", "name":
		ev.AppName, err = s.String(2)
	default:
		err = other(s, key, m, true)
	}
	return err
}

// window reads a member of an alert's window{start,end}.
func (ev *Event) window(s *scanner, key []byte) (err error) {
	switch string(key) {
	case "start":
		ev.WindowStart, _, err = s.time(ev.WindowStart, true)
	case "end":
		ev.WindowEnd, _, err = s.time(ev.WindowEnd, true)
	default:
		err = s.Value(2)
	}
	return err
}

// member reads a member of a metadata, payload or context object; m gets
// what it names of a member changed.
func (f *fields) member(s *scanner, key []byte, m *actor.Member) (err error) {
	switch i := slotOf(key); {
	case i == fASN:
		f[i], err = s.stringOrNumber(2)
	case i >= 0:
		f[i], err = s.String(2)
	default:
		err = other(s, key, m, false)
	}
	return err
}

// other reads the value of a member no field of an Event takes: into m
// if the rule of a member changed reads it, else skipped.
func other(s *scanner, key []byte, m *actor.Member, inTarget bool) error {
	if m != nil {
		if ok, err := m.Read(&s.Scanner, key, inTarget, 2); ok || err != nil {
			return err
		}
	}
	return s.Value(2)
}

// slotOf is the slot of a member of a metadata, payload or context
// object, -1 for other keys.
func slotOf(key []byte) int {
	switch string(key) {
	case "ipAddress", "ip":
		return fIP
	case "country":
		return fCountry
	case "asn":
		return fASN
	case "outcome":
		return fOutcome
	case "status":
		return fStatus
	case "applicationId":
		return fAppID
	case "applicationName":
		return fAppName
	case "previousAccountType":
		return fPrevAccount
	case "newAccountType":
		return fNewAccount
	case "previousRole", "oldRole", "roleBefore":
		return fPrevRole
	case "newRole", "roleAfter":
		return fNewRole
	case "previousLicenseType":
		return fPrevLicense
	case "newLicenseType":
		return fNewLicense
	case "blockId":
		return fBlockID
	case "blockName":
		return fBlockName
	}
	return -1
}
