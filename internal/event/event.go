// Package event is the one model of a Pigment audit event and its parser.
//
// A record (an element of the API's events array, a Kafka record's value,
// an alert detect wrote) is read once with Parse, which validates its JSON
// and picks the fields every consumer needs (extract's key and headers,
// detect's rules, forward's formats) in one pass, without maps or
// reflection and without allocating for strings without escapes.
//
// All functions are safe for concurrent use; an Event is a value the caller
// owns.
package event

import (
	"cmp"
	"errors"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/actor"
)

// Kind says which topic a record came from.
type Kind uint8

const (
	KindEvent Kind = iota // a Pigment audit event (pigment.audit.events)
	KindAlert             // an alert written by detect (pigment.audit.alerts)
)

// Event is one audit event (or alert) as every program reads it, once, from
// its JSON by Parse: extract's key and headers, detect's rules and forward's
// formats all take it.
//
// Its strings may alias Raw (see Parse); an empty string means absent.
// Formats omit what is empty or zero. Times are in UTC.
type Event struct {
	Raw  []byte // the original JSON, unchanged (HEC "event", ECS pigment.*, syslog MSG)
	Kind Kind

	ID, Type string    // eventId/eventType; alerts: id/rule
	Time     time.Time // eventTimestamp; alerts: lastEventTime (else firstEventTime)

	// Ingested is ingestionTimestamp (zero for alerts). Formats fall back to
	// it when Time is zero; a caller may set it, e.g. to the Kafka record
	// time, before formatting a record that has neither.
	Ingested time.Time

	ActorID, ActorEmail, ActorName string
	AppID, AppName                 string
	SourceIP, Country              string // as sent; formats check them before use
	ASN                            string // autonomous system of SourceIP, as sent ("AS3215" or "3215"), if any
	Outcome                        string // "success" | "failure" | "" (unknown)

	// TargetID, TargetEmail and TargetName are the member an event changes
	// (invited, deactivated, reactivated, given another role or account
	// type), by the one rule of internal/actor (actor.Target) over target,
	// metadata and payload; empty for alerts. Read them for member events
	// only: another event's payload may carry an "id" of something else.
	TargetID, TargetEmail, TargetName string
	Severity                          string // alerts: their severity; events: "" (see SyslogSeverity)

	// Alerts only (additions to the shared design; empty for events).
	Title string // the alert's title, its human summary
	Mitre string // MITRE ATT&CK technique, e.g. "T1078"

	// Alerts only: window{start,end}, count, and evidence (the JSON array
	// of event IDs as sent, or nil). Count is 0 when absent.
	WindowStart, WindowEnd time.Time
	Count                  int64
	Evidence               []byte

	// The change a member event records, from metadata or payload as
	// detect's privilege rule reads them: previousAccountType/
	// newAccountType, previousRole|oldRole|roleBefore/newRole|roleAfter,
	// previousLicenseType/newLicenseType. Empty when absent.
	PrevAccountType, NewAccountType string
	PrevRole, NewRole               string
	PrevLicense, NewLicense         string

	// Where the record was read from Kafka. Parse leaves them empty; the
	// forwarder sets them before formatting (the archive keeps them).
	Topic     string
	Partition int
	Offset    int64
}

// ActorKey is the identity one member's events share, by the one rule of
// internal/actor (the id, else the email): the key extract gives the
// member's Kafka records, and what detect counts per actor by.
func (ev *Event) ActorKey() string {
	return actor.Actor{ID: ev.ActorID, Email: ev.ActorEmail}.Key()
}

// Parse reads one record: a Pigment audit event (kind KindEvent) in either
// envelope, or an alert (KindAlert). It validates the whole JSON in one
// pass and picks these fields:
//
//	described: eventId eventType eventTimestamp ingestionTimestamp
//	           actor{memberId,email,name} target{applicationId,applicationName}
//	           metadata{ipAddress,country,asn,outcome,status,applicationId,applicationName}
//	public:    the same top level, actor{user{id,email,name}} or actor{id|userId,email,name}
//	           context{ipAddress|ip,country,asn,outcome,applicationId,applicationName}
//	           payload{...as metadata}
//	both:      metadata|payload{previousAccountType,newAccountType,
//	           previousRole|oldRole|roleBefore,newRole|roleAfter,
//	           previousLicenseType,newLicenseType}
//	alert:     id rule severity title mitre lastEventTime firstEventTime
//	           window{start,end} count evidence
//	           actor (as for events)
//	           application (string: an ID; or {id|applicationId,name|applicationName})
//
// The actor, in every shape (objects, a nested user, a plain string: an email
// if it has '@', else an ID), is read by the one rule of internal/actor, and
// so is the member an event changes (actor.Target over target, metadata
// and payload).
//
// The actor and target/context win over metadata/payload. Outcome is
// normalised to "success", "failure" or "" (status "Completed"/"Failed"
// count when there is no outcome). Timestamps are RFC 3339 or the same
// without a zone (see parseTime), kept to the nanosecond, in UTC; an
// unparsable one is left zero. Fields of an unexpected type are ignored.
//
// Strings may hold raw control characters, which encoding/json refuses but
// extract keeps (README, "The topic contract"): fields keep them, and the
// formats escape them where they embed Raw.
//
// The returned Event aliases raw: Raw is raw, and strings without JSON
// escapes point into it, so raw must not be modified while the Event is in
// use. The error says why the record cannot be forwarded: invalid JSON, not
// an object, or no eventId (alerts: id); the forwarder sends such a record
// to the dead-letter topic with err.Error() as the reason.
func Parse(raw []byte, kind Kind) (Event, error) {
	var f found
	ev, err := parse(raw, kind, &f)
	if err == nil && ev.ID == "" {
		// The "transform:" prefix is kept from before the package moved:
		// forward's dead letters carry these texts as their reason.
		if kind == KindAlert {
			return ev, errors.New("transform: alert has no id (a non-empty string)")
		}
		return ev, errors.New("transform: event has no eventId (a non-empty string)")
	}
	return ev, err
}

// parse is Parse without its check of the ID; f gets what ParseAPI checks.
func parse(raw []byte, kind Kind, f *found) (Event, error) {
	ev := Event{Raw: raw, Kind: kind}
	s := scanner{b: raw}
	s.skipSpace()
	if s.peek() != '{' {
		if err := s.value(0); err != nil {
			return ev, err
		}
		return ev, errors.New("transform: record is not a JSON object")
	}
	s.i++
	var body fields // from metadata/payload, used where nothing better is known
	var ctx fields  // from context
	for n := 0; ; n++ {
		key, ok, err := s.member(n)
		if err != nil {
			return ev, err
		}
		if !ok {
			break
		}
		if err := ev.top(&s, key, &ctx, &body, f); err != nil {
			return ev, err
		}
	}
	s.skipSpace()
	if s.i != len(s.b) {
		return ev, s.errorf("data after the top-level object")
	}
	ev.AppID = cmp.Or(ev.AppID, ctx.appID, body.appID)
	ev.AppName = cmp.Or(ev.AppName, ctx.appName, body.appName)
	ev.SourceIP = cmp.Or(ctx.ip, body.ip)
	ev.Country = cmp.Or(ctx.country, body.country)
	ev.ASN = cmp.Or(ctx.asn, body.asn)
	ev.Outcome = cmp.Or(outcome(ctx.outcome), outcome(body.outcome), outcome(body.status))
	ev.PrevAccountType, ev.NewAccountType = body.prevAccount, body.newAccount
	ev.PrevRole, ev.NewRole = body.prevRole, body.newRole
	ev.PrevLicense, ev.NewLicense = body.prevLicense, body.newLicense
	if kind == KindEvent {
		t := actor.Target(f.target, f.metadata, f.payload)
		ev.TargetID, ev.TargetEmail, ev.TargetName = t.ID, t.Email, t.Name
	}
	return ev, nil
}

// fields holds what a metadata, payload or context object may carry.
type fields struct {
	ip, country, asn, outcome, status, appID, appName string
	prevAccount, newAccount, prevRole, newRole        string
	prevLicense, newLicense                           string
}

// found holds the raw values of an event's target, metadata and payload,
// for actor.Target, and where the last eventId and ingestionTimestamp
// values start (offset+1; 0 when absent) with the text of the latter, for
// ParseAPI.
type found struct {
	target, metadata, payload []byte
	idAt, ingestedAt          int
	ingested                  string
}

// top reads the value of one top-level member.
func (ev *Event) top(s *scanner, key []byte, ctx, body *fields, f *found) error {
	var err error
	alert := ev.Kind == KindAlert
	start := s.i
	switch k := string(key); {
	case k == "eventId" && !alert, k == "id" && alert:
		f.idAt = start + 1
		ev.ID, err = s.string(1)
	case k == "eventType" && !alert, k == "rule" && alert:
		ev.Type, err = s.string(1)
	case k == "eventTimestamp" && !alert, k == "lastEventTime" && alert:
		ev.Time, _, err = s.time(ev.Time, true)
	case k == "firstEventTime" && alert:
		ev.Time, _, err = s.time(ev.Time, false)
	case k == "ingestionTimestamp" && !alert:
		f.ingestedAt = start + 1
		ev.Ingested, f.ingested, err = s.time(ev.Ingested, true)
	case k == "severity" && alert:
		ev.Severity, err = s.string(1)
	case k == "title" && alert:
		ev.Title, err = s.string(1)
	case k == "mitre" && alert:
		ev.Mitre, err = s.string(1)
	case k == "window" && alert:
		err = ev.readWindow(s)
	case k == "count" && alert:
		ev.Count, err = s.int()
	case k == "evidence" && alert:
		err = s.value(1)
		if s.b[start] == '[' {
			ev.Evidence = s.b[start:s.i]
		}
	case k == "actor":
		err = ev.readActor(s)
	case k == "application" && alert && s.peek() == '"':
		ev.AppID, err = s.string(1)
	case k == "target" && !alert:
		err = ev.readApp(s)
		f.target = s.b[start:s.i]
	case k == "application" && alert:
		err = ev.readApp(s)
	case k == "context" && !alert:
		err = ctx.read(s)
	case k == "metadata" && !alert:
		err = body.read(s)
		f.metadata = s.b[start:s.i]
	case k == "payload" && !alert:
		err = body.read(s)
		f.payload = s.b[start:s.i]
	default:
		err = s.value(1)
	}
	return err
}

// The readers below take the object at s.i; any other value is skipped (a
// null target, a string where an object was expected). They loop inline
// rather than take a callback, which would move the scanner to the heap.

// readActor reads the actor value at s.i, in any shape, with the one rule
// of internal/actor. The value is validated here, then read by the rule:
// a second pass over its few bytes, and no allocation unless escaped.
func (ev *Event) readActor(s *scanner) error {
	start := s.i
	if err := s.value(1); err != nil {
		return err
	}
	a := actor.Parse(s.b[start:s.i])
	ev.ActorID, ev.ActorEmail, ev.ActorName = a.ID, a.Email, a.Name
	return nil
}

// readApp reads a target (events) or application (alerts) object.
func (ev *Event) readApp(s *scanner) error {
	if ok, err := s.enter(); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.member(n)
		if err != nil || !ok {
			return err
		}
		switch string(key) {
		case "applicationId", "id":
			ev.AppID, err = s.string(2)
		case "applicationName", "name":
			ev.AppName, err = s.string(2)
		default:
			err = s.value(2)
		}
		if err != nil {
			return err
		}
	}
}

// readWindow reads an alert's window{start,end}.
func (ev *Event) readWindow(s *scanner) error {
	if ok, err := s.enter(); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.member(n)
		if err != nil || !ok {
			return err
		}
		switch string(key) {
		case "start":
			ev.WindowStart, _, err = s.time(ev.WindowStart, true)
		case "end":
			ev.WindowEnd, _, err = s.time(ev.WindowEnd, true)
		default:
			err = s.value(2)
		}
		if err != nil {
			return err
		}
	}
}

// read reads a metadata, payload or context object.
func (f *fields) read(s *scanner) error {
	if ok, err := s.enter(); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.member(n)
		if err != nil || !ok {
			return err
		}
		switch string(key) {
		case "ipAddress", "ip":
			f.ip, err = s.string(2)
		case "country":
			f.country, err = s.string(2)
		case "asn":
			f.asn, err = s.stringOrNumber(2)
		case "outcome":
			f.outcome, err = s.string(2)
		case "status":
			f.status, err = s.string(2)
		case "applicationId":
			f.appID, err = s.string(2)
		case "applicationName":
			f.appName, err = s.string(2)
		case "previousAccountType":
			f.prevAccount, err = s.string(2)
		case "newAccountType":
			f.newAccount, err = s.string(2)
		case "previousRole", "oldRole", "roleBefore":
			f.prevRole, err = s.string(2)
		case "newRole", "roleAfter":
			f.newRole, err = s.string(2)
		case "previousLicenseType":
			f.prevLicense, err = s.string(2)
		case "newLicenseType":
			f.newLicense, err = s.string(2)
		default:
			err = s.value(2)
		}
		if err != nil {
			return err
		}
	}
}

// enter consumes the '{' of the object at s.i and reports true, or skips a
// value of another kind and reports false.
func (s *scanner) enter() (bool, error) {
	if s.peek() != '{' {
		return false, s.value(1)
	}
	s.i++
	return true, nil
}

// time reads a timestamp (see parseTime) and its text. It returns the time
// if prefer is set or old is zero, and old otherwise or when the value is
// not a timestamp.
func (s *scanner) time(old time.Time, prefer bool) (time.Time, string, error) {
	v, err := s.string(1)
	if err != nil {
		return old, v, err
	}
	if t, ok := parseTime(v); ok && (prefer || old.IsZero()) {
		return t, v, nil
	}
	return old, v, nil
}

// outcome normalises an outcome or status value.
func outcome(v string) string {
	for _, w := range [...]string{"success", "succeeded", "successful", "ok", "completed", "allowed"} {
		if strings.EqualFold(v, w) {
			return "success"
		}
	}
	for _, w := range [...]string{"failure", "failed", "fail", "error", "denied", "rejected"} {
		if strings.EqualFold(v, w) {
			return "failure"
		}
	}
	return ""
}
