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
	if err := ev.object(&s, partTop, f, nil); err != nil {
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
// better is known), the raw values of an event's target, metadata and
// payload, for actor.Target, and where the last eventId and
// ingestionTimestamp values start (offset+1; 0 when absent) with the text
// of the latter, for ParseAPI.
type found struct {
	ctx, body                 fields
	target, metadata, payload []byte
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

// object reads the object at s.I as part p (fl: the fields of partFields);
// any other value is skipped (a null target, a string where an object was
// expected). It is the one loop over the members of a record's objects:
// it dispatches on p rather than take a callback, which would move the
// scanner to the heap and cost an allocation per record.
func (ev *Event) object(s *scanner, p part, f *found, fl *fields) error {
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
			err = ev.top(s, key, f)
		case partApp:
			err = ev.app(s, key)
		case partWindow:
			err = ev.window(s, key)
		default:
			err = fl.member(s, key)
		}
		if err != nil {
			return err
		}
	}
}

// top reads the value of one top-level member.
func (ev *Event) top(s *scanner, key []byte, f *found) error {
	var err error
	alert := ev.Kind == KindAlert
	start := s.I
	switch k := string(key); {
	case k == "eventId" && !alert, k == "id" && alert:
		f.idAt = start + 1
		ev.ID, err = s.String(1)
	case k == "eventType" && !alert, k == "rule" && alert:
		ev.Type, err = s.String(1)
	case k == "eventTimestamp" && !alert, k == "lastEventTime" && alert:
		ev.Time, _, err = s.time(ev.Time, true)
	case k == "firstEventTime" && alert:
		ev.Time, _, err = s.time(ev.Time, false)
	case k == "ingestionTimestamp" && !alert:
		f.ingestedAt = start + 1
		ev.Ingested, f.ingested, err = s.time(ev.Ingested, true)
	case k == "severity" && alert:
		ev.Severity, err = s.String(1)
	case k == "title" && alert:
		ev.Title, err = s.String(1)
	case k == "mitre" && alert:
		ev.Mitre, err = s.String(1)
	case k == "window" && alert:
		err = ev.object(s, partWindow, f, nil)
	case k == "count" && alert:
		ev.Count, err = s.int()
	case k == "evidence" && alert:
		err = s.Value(1)
		if s.B[start] == '[' {
			ev.Evidence = s.B[start:s.I]
		}
	case k == "actor":
		err = ev.readActor(s)
	case k == "application" && alert && s.Peek() == '"':
		ev.AppID, err = s.String(1)
	case k == "target" && !alert:
		err = ev.object(s, partApp, f, nil)
		f.target = s.B[start:s.I]
	case k == "application" && alert:
		err = ev.object(s, partApp, f, nil)
	case k == "context" && !alert:
		err = ev.object(s, partFields, f, &f.ctx)
	case k == "metadata" && !alert:
		err = ev.object(s, partFields, f, &f.body)
		f.metadata = s.B[start:s.I]
	case k == "payload" && !alert:
		err = ev.object(s, partFields, f, &f.body)
		f.payload = s.B[start:s.I]
	default:
		err = s.Value(1)
	}
	return err
}

// readActor reads the actor value at s.I, in any shape, with the one rule
// of internal/actor. The value is validated here, then read by the rule:
// a second pass over its few bytes, and no allocation unless escaped.
func (ev *Event) readActor(s *scanner) error {
	start := s.I
	if err := s.Value(1); err != nil {
		return err
	}
	a := actor.Parse(s.B[start:s.I])
	ev.ActorID, ev.ActorEmail, ev.ActorName = a.ID, a.Email, a.Name
	return nil
}

// app reads a member of a target (events) or application (alerts) object.
func (ev *Event) app(s *scanner, key []byte) (err error) {
	switch string(key) {
	case "applicationId", "id":
		ev.AppID, err = s.String(2)
	case "applicationName", "name":
		ev.AppName, err = s.String(2)
	default:
		err = s.Value(2)
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

// member reads a member of a metadata, payload or context object.
func (f *fields) member(s *scanner, key []byte) (err error) {
	switch i := slotOf(key); {
	case i == fASN:
		f[i], err = s.stringOrNumber(2)
	case i >= 0:
		f[i], err = s.String(2)
	default:
		err = s.Value(2)
	}
	return err
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
