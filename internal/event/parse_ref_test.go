package event

// The implementation of Parse before it was made faster (internal/event at
// b1e3385), kept as the reference that FuzzParseRef compares Parse with
// and BenchmarkParseVsRef measures it against. Only names changed; the rest
// is in parse_ref_scan_test.go.

import (
	"cmp"
	"errors"

	"github.com/pigment-siem/pipeline/internal/actor"
	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// refParsePublic is Parse as it was.
func refParsePublic(raw []byte, kind Kind) (Event, error) {
	var f refFound
	ev, err := refParse(raw, kind, &f)
	if err == nil && ev.ID == "" {
		if kind == KindAlert {
			return ev, errors.New("transform: alert has no id (a non-empty string)")
		}
		return ev, errors.New("transform: event has no eventId (a non-empty string)")
	}
	return ev, err
}

// parse is Parse without its check of the ID; f gets what ParseAPI checks.
func refParse(raw []byte, kind Kind, f *refFound) (Event, error) {
	ev := Event{Raw: raw, Kind: kind}
	if err := ev.refRead(raw, f); err != nil {
		return ev, syntaxError(err)
	}
	ctx, body := &f.ctx, &f.body
	ev.AppID = cmp.Or(ev.AppID, ctx[rfAppID], body[rfAppID])
	ev.AppName = cmp.Or(ev.AppName, ctx[rfAppName], body[rfAppName])
	ev.SourceIP = cmp.Or(ctx[rfIP], body[rfIP])
	ev.Country = cmp.Or(ctx[rfCountry], body[rfCountry])
	ev.ASN = cmp.Or(ctx[rfASN], body[rfASN])
	ev.Outcome = cmp.Or(refOutcome(ctx[rfOutcome]), refOutcome(body[rfOutcome]), refOutcome(body[rfStatus]))
	ev.PrevAccountType, ev.NewAccountType = body[rfPrevAccount], body[rfNewAccount]
	ev.PrevRole, ev.NewRole = body[rfPrevRole], body[rfNewRole]
	ev.PrevLicense, ev.NewLicense = body[rfPrevLicense], body[rfNewLicense]
	ev.BlockID, ev.BlockName = body[rfBlockID], body[rfBlockName]
	if kind == KindEvent {
		t := actor.Target(f.target, f.metadata, f.payload)
		ev.TargetID, ev.TargetEmail, ev.TargetName = t.ID, t.Email, t.Name
	}
	return ev, nil
}

// read validates raw and reads its members into ev and f.
func (ev *Event) refRead(raw []byte, f *refFound) error {
	s := refScanner{scanner{jsonscan.Scanner{B: raw}}}
	s.SkipSpace()
	if s.Peek() != '{' {
		if err := s.Value(0); err != nil {
			return err
		}
		return errors.New("transform: record is not a JSON object")
	}
	if err := ev.refObject(&s, refPartTop, f, nil); err != nil {
		return err
	}
	s.SkipSpace()
	if s.More() {
		return s.Errorf("data after the top-level object")
	}
	return nil
}

// refFields holds what a metadata, payload or context object may carry, by
// slot (see refSlotOf).
type refFields [refNFields]string

// Slots of refFields.
const (
	rfIP = iota
	rfCountry
	rfASN
	rfOutcome
	rfStatus
	rfAppID
	rfAppName
	rfPrevAccount
	rfNewAccount
	rfPrevRole
	rfNewRole
	rfPrevLicense
	rfNewLicense
	rfBlockID
	rfBlockName
	refNFields
)

// refFound holds what a record carries beside its Event's own refFields: what
// its context and its metadata/payload objects carry (used where nothing
// better is known), the raw values of an event's target, metadata and
// payload, for actor.Target, and where the last eventId and
// ingestionTimestamp values start (offset+1; 0 when absent) with the text
// of the latter, for ParseAPI.
type refFound struct {
	ctx, body                 refFields
	target, metadata, payload []byte
	idAt, ingestedAt          int
	ingested                  string
}

// refPart names an object of a record, which says how its members are read.
type refPart uint8

const (
	refPartTop    refPart = iota // the record itself (top)
	refPartApp                   // an event's target or an alert's application (app)
	refPartWindow                // an alert's window (window)
	refPartFields                // metadata, payload or context (refFields.member)
)

// object reads the object at s.I as refPart p (fl: the refFields of refPartFields);
// any other value is skipped (a null target, a string where an object was
// expected). It is the one loop over the members of a record's objects:
// it dispatches on p rather than take a callback, which would move the
// refScanner to the heap and cost an allocation per record.
func (ev *Event) refObject(s *refScanner, p refPart, f *refFound, fl *refFields) error {
	if ok, err := s.Enter(1); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil || !ok {
			return err
		}
		switch p {
		case refPartTop:
			err = ev.refTop(s, key, f)
		case refPartApp:
			err = ev.refApp(s, key)
		case refPartWindow:
			err = ev.refWindow(s, key)
		default:
			err = fl.member(s, key)
		}
		if err != nil {
			return err
		}
	}
}

// top reads the value of one top-level member.
func (ev *Event) refTop(s *refScanner, key []byte, f *refFound) error {
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
		err = ev.refObject(s, refPartWindow, f, nil)
	case k == "count" && alert:
		ev.Count, err = s.int()
	case k == "evidence" && alert:
		// Fixed here too (it indexed past the end of a record truncated
		// after "evidence":), so that the reference does not panic.
		if err = s.Value(1); err == nil && s.B[start] == '[' {
			ev.Evidence = s.B[start:s.I]
		}
	case k == "actor":
		err = ev.refReadActor(s)
	case k == "application" && alert && s.Peek() == '"':
		ev.AppID, err = s.String(1)
	case k == "target" && !alert:
		err = ev.refObject(s, refPartApp, f, nil)
		f.target = s.B[start:s.I]
	case k == "application" && alert:
		err = ev.refObject(s, refPartApp, f, nil)
	case k == "context" && !alert:
		err = ev.refObject(s, refPartFields, f, &f.ctx)
	case k == "metadata" && !alert:
		err = ev.refObject(s, refPartFields, f, &f.body)
		f.metadata = s.B[start:s.I]
	case k == "payload" && !alert:
		err = ev.refObject(s, refPartFields, f, &f.body)
		f.payload = s.B[start:s.I]
	default:
		err = s.Value(1)
	}
	return err
}

// readActor reads the actor value at s.I, in any shape, with the one rule
// of internal/actor. The value is validated here, then read by the rule:
// a second pass over its few bytes, and no allocation unless escaped.
func (ev *Event) refReadActor(s *refScanner) error {
	start := s.I
	if err := s.Value(1); err != nil {
		return err
	}
	a := actor.Parse(s.B[start:s.I])
	ev.ActorID, ev.ActorEmail, ev.ActorName = a.ID, a.Email, a.Name
	return nil
}

// app reads a member of a target (events) or application (alerts) object.
func (ev *Event) refApp(s *refScanner, key []byte) (err error) {
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
func (ev *Event) refWindow(s *refScanner, key []byte) (err error) {
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
func (f *refFields) member(s *refScanner, key []byte) (err error) {
	switch i := refSlotOf(key); {
	case i == rfASN:
		f[i], err = s.stringOrNumber(2)
	case i >= 0:
		f[i], err = s.String(2)
	default:
		err = s.Value(2)
	}
	return err
}

// refSlotOf is the slot of a member of a metadata, payload or context
// object, -1 for other keys.
func refSlotOf(key []byte) int {
	switch string(key) {
	case "ipAddress", "ip":
		return rfIP
	case "country":
		return rfCountry
	case "asn":
		return rfASN
	case "outcome":
		return rfOutcome
	case "status":
		return rfStatus
	case "applicationId":
		return rfAppID
	case "applicationName":
		return rfAppName
	case "previousAccountType":
		return rfPrevAccount
	case "newAccountType":
		return rfNewAccount
	case "previousRole", "oldRole", "roleBefore":
		return rfPrevRole
	case "newRole", "roleAfter":
		return rfNewRole
	case "previousLicenseType":
		return rfPrevLicense
	case "newLicenseType":
		return rfNewLicense
	case "blockId":
		return rfBlockID
	case "blockName":
		return rfBlockName
	}
	return -1
}
