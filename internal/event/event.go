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
	"unicode/utf8"

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

	// BlockID and BlockName are the block an event is about (blockId,
	// blockName of metadata or payload: block, data, import and export
	// events), the object of Splunk CIM's change fields.
	BlockID, BlockName string

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
//	           metadata{ipAddress,country,asn,outcome,status,applicationId,applicationName,
//	                    blockId,blockName}
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
func Parse(raw []byte, kind Kind) (ev Event, err error) {
	var f found
	// parse fills the result in place: returning an Event (60 words) by
	// value from one function to the next cost a twentieth of a parse.
	err = parse(&ev, raw, kind, &f)
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

// parse is Parse without its check of the ID, into ev (zero); f gets what
// ParseAPI checks.
func parse(ev *Event, raw []byte, kind Kind, f *found) error {
	ev.Raw, ev.Kind = raw, kind
	if err := ev.read(raw, f); err != nil {
		return syntaxError(err)
	}
	ctx, body := &f.ctx, &f.body
	ev.AppID = cmp.Or(ev.AppID, ctx[fAppID], body[fAppID])
	ev.AppName = cmp.Or(ev.AppName, ctx[fAppName], body[fAppName])
	ev.SourceIP = cmp.Or(ctx[fIP], body[fIP])
	ev.Country = cmp.Or(ctx[fCountry], body[fCountry])
	ev.ASN = cmp.Or(ctx[fASN], body[fASN])
	if ev.Outcome = outcome(ctx[fOutcome]); ev.Outcome == "" {
		ev.Outcome = cmp.Or(outcome(body[fOutcome]), outcome(body[fStatus]))
	}
	ev.PrevAccountType, ev.NewAccountType = body[fPrevAccount], body[fNewAccount]
	ev.PrevRole, ev.NewRole = body[fPrevRole], body[fNewRole]
	ev.PrevLicense, ev.NewLicense = body[fPrevLicense], body[fNewLicense]
	ev.BlockID, ev.BlockName = body[fBlockID], body[fBlockName]
	if kind == KindEvent {
		t := actor.TargetOf(&f.target, &f.metadata, &f.payload)
		ev.TargetID, ev.TargetEmail, ev.TargetName = t.ID, t.Email, t.Name
	}
	return nil
}

// outcome normalises an outcome or status value, as strings.EqualFold
// with each word would: an ASCII value is lowered and looked up once
// (the loops of EqualFold were a twentieth of a record's parse); another
// one may still match through Unicode folding ("o\u212a" is "ok") and
// takes the loops.
func outcome(v string) string {
	var low [10]byte // the longest word, "successful"
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= utf8.RuneSelf:
			return outcomeFold(v)
		case i >= len(low):
			continue // too long for a word; a later byte may be non-ASCII
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		low[i] = c
	}
	if len(v) > len(low) {
		return ""
	}
	switch string(low[:len(v)]) {
	case "success", "succeeded", "successful", "ok", "completed", "allowed":
		return "success"
	case "failure", "failed", "fail", "error", "denied", "rejected":
		return "failure"
	}
	return ""
}

// outcomeFold is outcome for a value that is not ASCII.
func outcomeFold(v string) string {
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
