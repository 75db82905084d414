package pigment

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/actor"
	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// Event is one audit event as the API sent it.
//
// Only the five fields below are decoded; everything else (target, metadata,
// context, payload, fields unknown today) is kept untouched in Raw.
type Event struct {
	Raw           []byte    // the event's exact JSON bytes as sent by the API (unknown fields kept, byte-for-byte)
	ID            string    // eventId
	Type          string    // eventType ("" if absent)
	ActorID       string    // the actor's key (internal/actor: its id, else its email, in any shape the API uses); "" if none
	EventTime     time.Time // eventTimestamp (zero if absent/unparsable), in UTC
	IngestionTime time.Time // ingestionTimestamp, in UTC
}

// Invalid is an element of the events array that cannot be produced as an event.
type Invalid struct {
	Raw    []byte
	Reason string // e.g. "missing eventId", "not a JSON object", "unparsable ingestionTimestamp \"xyz\""
}

// Page is one decoded answer of the events endpoint. Events and Invalid each
// keep the order of the API's array (the client does not reorder; the API
// sends newest first). Each element of the array ends up in exactly one of
// them. Raw slices are capped (len == cap): appending to one copies it.
type Page struct {
	Events     []Event
	Invalid    []Invalid
	NextCursor string // "" when this was the last page
}

var (
	// errMalformed marks an answer body that is not a usable events page.
	// Such answers are retried: they are usually truncated or garbled.
	errMalformed = errors.New("malformed events page")
	// errInvalidJSON marks a body that is not valid JSON (it also wraps
	// errMalformed).
	errInvalidJSON = errors.New("invalid JSON")
)

// decodePage decodes an answer body in one validating pass. The body must be
// a JSON object with an "events" array; the next cursor is at
// "nextEventsCursor" or "pagination.nextCursor" (absent, null or "" means
// none). Keys are matched exactly; other fields are validated and ignored.
//
// The caller may reuse body after decodePage returns: the Page aliases a
// private copy. An error (wrapping errMalformed) means the body as a whole is
// unusable; problems with single events are reported in Page.Invalid.
func decodePage(body []byte) (*Page, error) {
	s := scanner{b: bytes.Clone(body)}
	s.skipSpace()
	if s.peek() != '{' {
		if !s.more() {
			return nil, s.errorf(errInvalidJSON, "empty body")
		}
		start := s.i
		if err := s.value(0); err != nil {
			return nil, err
		}
		if s.skipSpace(); s.more() {
			return nil, s.errorf(errInvalidJSON, "data after the top-level value")
		}
		return nil, fmt.Errorf("%w: top level is %s, want an object", errMalformed, jsonKind(s.b[start:]))
	}
	p := &Page{Events: make([]Event, 0, len(body)/512+1)}
	var haveEvents bool
	eventsKind := "absent"
	var topCursor, nestedCursor jsonString
	err := s.object(1, func(key []byte) error {
		switch string(key) {
		case "events":
			if eventsKind = jsonKind(s.b[s.i:]); eventsKind != "array" {
				haveEvents = false
				return s.value(1)
			}
			haveEvents = true
			p.Events, p.Invalid = p.Events[:0], p.Invalid[:0] // a repeated key: the last wins
			n := 0
			return s.array(2, func() error {
				n++
				return s.element(p, n)
			})
		case "nextEventsCursor":
			return s.field(1, &topCursor)
		case "pagination":
			if s.peek() != '{' {
				return s.value(1)
			}
			return s.object(2, func(key []byte) error {
				if string(key) == "nextCursor" {
					return s.field(2, &nestedCursor)
				}
				return s.value(2)
			})
		}
		return s.value(1)
	})
	if err != nil {
		return nil, err
	}
	if s.skipSpace(); s.more() {
		return nil, s.errorf(errInvalidJSON, "data after the top-level object")
	}
	if !haveEvents {
		return nil, fmt.Errorf("%w: events is %s, want an array", errMalformed, eventsKind)
	}
	for _, c := range []struct {
		name string
		v    jsonString
	}{{"nextEventsCursor", topCursor}, {"pagination.nextCursor", nestedCursor}} {
		if c.v.kind != "" && c.v.kind != "null" && c.v.kind != "string" {
			return nil, fmt.Errorf("%w: %s is %s, want a string", errMalformed, c.name, c.v.kind)
		}
		if p.NextCursor == "" {
			p.NextCursor = c.v.s
		}
	}
	return p, nil
}

// element decodes the n-th element (from 1) of the events array into
// p.Events or p.Invalid. An element that cannot be read as JSON is skipped
// to its end (skipElement) and reported Invalid with its position and the
// reason, so one broken event does not fail the page; only when its end
// cannot be found either (the envelope itself is broken) does it fail the
// page.
func (s *scanner) element(p *Page, n int) error {
	start := s.i
	raw, ev, reason, err := s.readElement()
	if err == nil {
		// What follows must be the array's: otherwise the element is
		// broken after what looked like its end.
		if j := jsonscan.SkipSpace(s.b, s.i); j < len(s.b) && s.b[j] != ',' && s.b[j] != ']' {
			s.i = j
			err = s.errorf(errInvalidJSON, "unexpected data after the element")
		}
	}
	if err != nil {
		end, ok := skipElement(s.b, start)
		if !ok {
			return err
		}
		s.i = end
		raw = bytes.TrimRight(s.b[start:end], " \t\r\n")
		p.Invalid = append(p.Invalid, Invalid{Raw: raw[:len(raw):len(raw)], Reason: fmt.Sprintf(
			"element %d of the events array (page offset %d) cannot be read: %s", n, start, strings.TrimPrefix(err.Error(), errMalformed.Error()+": "))})
		return nil
	}
	if reason != "" {
		p.Invalid = append(p.Invalid, Invalid{Raw: raw, Reason: reason})
		return nil
	}
	p.Events = append(p.Events, ev)
	return nil
}

// readElement reads the element at s.i: an event, or the reason it is not
// one, or an error when it is not readable JSON.
func (s *scanner) readElement() (raw []byte, ev Event, reason string, err error) {
	start := s.i
	if s.peek() != '{' {
		if err := s.value(2); err != nil {
			return nil, Event{}, "", err
		}
		raw = s.b[start:s.i:s.i]
		return raw, Event{}, "not a JSON object (" + jsonKind(raw) + ")", nil
	}
	var f eventFields
	if err := s.event(3, &f); err != nil {
		return nil, Event{}, "", err
	}
	raw = s.b[start:s.i:s.i]
	ev, reason = f.event(raw)
	return raw, ev, reason, nil
}

// skipElement finds the end of the array element starting at b[i] without
// validating it: the offset of the ',' or ']' that follows it at its own
// nesting level, strings (with escapes and raw control characters) skipped
// whole. ok is false when there is none before the end of the body, or a
// closing bracket does not match: the events array cannot be read past the
// element.
func skipElement(b []byte, i int) (end int, ok bool) {
	var open []byte // the brackets open inside the element
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return 0, false
			}
		case '{', '[':
			open = append(open, c)
		case '}', ']':
			if len(open) == 0 {
				return i, c == ']'
			}
			if want := open[len(open)-1]; want == '{' && c != '}' || want == '[' && c != ']' {
				return 0, false
			}
			open = open[:len(open)-1]
		case ',':
			if len(open) == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// eventFields holds the only fields the client reads from an event.
type eventFields struct {
	id, typ, eventTime, ingestionTime jsonString
	actor                             string
}

// event decodes the event object at s.i into f, skipping other fields.
func (s *scanner) event(depth int, f *eventFields) error {
	return s.object(depth, func(key []byte) error {
		switch string(key) {
		case "eventId":
			return s.field(depth, &f.id)
		case "eventType":
			return s.field(depth, &f.typ)
		case "eventTimestamp":
			return s.field(depth, &f.eventTime)
		case "ingestionTimestamp":
			return s.field(depth, &f.ingestionTime)
		case "actor":
			start := s.i
			if err := s.value(depth); err != nil {
				return err
			}
			f.actor = actor.Parse(s.b[start:s.i]).Key()
			return nil
		}
		return s.value(depth)
	})
}

// event validates f and builds the Event; a non-empty reason means the
// element is not a usable event.
func (f *eventFields) event(raw []byte) (Event, string) {
	switch {
	case f.id.kind == "" || f.id.kind == "null":
		return Event{}, "missing eventId"
	case f.id.kind != "string":
		return Event{}, "eventId is " + f.id.kind + ", want a string"
	case f.id.s == "":
		return Event{}, "empty eventId"
	}
	ingested, reason := requiredTime("ingestionTimestamp", f.ingestionTime)
	if reason != "" {
		return Event{}, reason
	}
	ev := Event{Raw: raw, ID: f.id.s, Type: f.typ.s, ActorID: f.actor, IngestionTime: ingested}
	ev.EventTime, _ = parseTime(f.eventTime.s)
	return ev, ""
}

func requiredTime(name string, v jsonString) (time.Time, string) {
	switch v.kind {
	case "", "null":
		return time.Time{}, "missing " + name
	case "string":
	default:
		return time.Time{}, name + " is " + v.kind + ", want a string"
	}
	t, ok := parseTime(v.s)
	if !ok {
		s := v.s
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return time.Time{}, "unparsable " + name + " " + strconv.Quote(s)
	}
	return t, ""
}

// parseTime accepts RFC 3339 with or without fractional seconds, and the same
// without a zone ("2006-01-02T15:04:05[.fff...]"), read as UTC. The result is
// in UTC.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	// When parsing, Go accepts fractional seconds after "05" even when the
	// layout does not show them.
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// jsonKind names the kind of the JSON value starting at data[0].
func jsonKind(data []byte) string {
	if len(data) == 0 {
		return "empty"
	}
	switch data[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return "not JSON"
}
