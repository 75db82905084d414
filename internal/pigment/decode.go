package pigment

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

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
	Events     []event.Event // read by event.ParseAPI
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
	p, err := readPage(bytes.Clone(body))
	if err != nil {
		return nil, malformed(err)
	}
	return p, nil
}

// page is what the envelope of a page carries, as read.
type page struct {
	Page
	haveEvents              bool
	eventsKind              string // "absent" or the kind of the last events value
	topCursor, nestedCursor jsonString
}

// readPage reads the page in body, which it keeps.
func readPage(body []byte) (*Page, error) {
	s := scanner{jsonscan.Scanner{B: body}}
	s.SkipSpace()
	if s.Peek() != '{' {
		if !s.More() {
			return nil, s.Errorf("empty body")
		}
		start := s.I
		if err := s.Value(0); err != nil {
			return nil, err
		}
		if s.SkipSpace(); s.More() {
			return nil, s.Errorf("data after the top-level value")
		}
		return nil, fmt.Errorf("%w: top level is %s, want an object", errMalformed, jsonscan.Kind(s.B[start:]))
	}
	p := page{Page: Page{Events: make([]event.Event, 0, len(body)/512+1)}, eventsKind: "absent"}
	if err := p.object(&s, 1); err != nil {
		return nil, err
	}
	if s.SkipSpace(); s.More() {
		return nil, s.Errorf("data after the top-level object")
	}
	if !p.haveEvents {
		return nil, fmt.Errorf("%w: events is %s, want an array", errMalformed, p.eventsKind)
	}
	for _, c := range []struct {
		name string
		v    jsonString
	}{{"nextEventsCursor", p.topCursor}, {"pagination.nextCursor", p.nestedCursor}} {
		if c.v.kind != "" && c.v.kind != "null" && c.v.kind != "string" {
			return nil, fmt.Errorf("%w: %s is %s, want a string", errMalformed, c.name, c.v.kind)
		}
		if p.NextCursor == "" {
			p.NextCursor = c.v.s
		}
	}
	return &p.Page, nil
}

// object reads the object at s.I: the page itself at depth 1, its
// pagination object at depth 2 (any other value there is skipped). Keys
// are matched exactly; a repeated key: the last wins.
func (p *page) object(s *scanner, depth int) error {
	if ok, err := s.Enter(depth - 1); !ok {
		return err
	}
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil || !ok {
			return err
		}
		switch k := string(key); {
		case depth == 1 && k == "events":
			err = p.events(s)
		case depth == 1 && k == "nextEventsCursor":
			err = s.field(1, &p.topCursor)
		case depth == 1 && k == "pagination":
			err = p.object(s, 2)
		case depth == 2 && k == "nextCursor":
			err = s.field(2, &p.nestedCursor)
		default:
			err = s.Value(depth)
		}
		if err != nil {
			return err
		}
	}
}

// events reads the value of an "events" member: an array, each element
// into p.Events or p.Invalid; another value is skipped and noted.
func (p *page) events(s *scanner) error {
	if p.eventsKind = jsonscan.Kind(s.B[s.I:]); p.eventsKind != "array" {
		p.haveEvents = false
		return s.Value(1)
	}
	p.haveEvents = true
	p.Events, p.Invalid = p.Events[:0], p.Invalid[:0] // a repeated key: the last wins
	s.I++
	for n := 0; ; n++ {
		if ok, err := s.Element(n); err != nil || !ok {
			return err
		}
		if err := s.element(&p.Page, n+1); err != nil {
			return err
		}
	}
}

// element decodes the n-th element (from 1) of the events array into
// p.Events or p.Invalid. An element that cannot be read as JSON is skipped
// to its end (skipElement) and reported Invalid with its position and the
// reason, so one broken event does not fail the page; only when its end
// cannot be found either (the envelope itself is broken) does it fail the
// page. A readable element is read by event.ParseAPI, the one parser of an
// audit event.
func (s *scanner) element(p *Page, n int) error {
	start := s.I
	err := s.Value(2)
	if err == nil {
		// What follows must be the array's: otherwise the element is
		// broken after what looked like its end.
		if j := jsonscan.SkipSpace(s.B, s.I); j < len(s.B) && s.B[j] != ',' && s.B[j] != ']' {
			s.I = j
			err = s.Errorf("unexpected data after the element")
		}
	}
	if err != nil {
		end, ok := skipElement(s.B, start)
		if !ok {
			return err
		}
		s.I = end
		raw := bytes.TrimRight(s.B[start:end], " \t\r\n")
		p.Invalid = append(p.Invalid, Invalid{Raw: raw[:len(raw):len(raw)], Reason: fmt.Sprintf(
			"element %d of the events array (page offset %d) cannot be read: %s", n, start, strings.TrimPrefix(malformed(err).Error(), errMalformed.Error()+": "))})
		return nil
	}
	raw := s.B[start:s.I:s.I]
	if raw[0] != '{' {
		p.Invalid = append(p.Invalid, Invalid{Raw: raw, Reason: "not a JSON object (" + jsonscan.Kind(raw) + ")"})
		return nil
	}
	ev, reason, err := event.ParseAPI(raw)
	if err != nil { // not expected: the element was validated above
		reason = err.Error()
	}
	if reason != "" {
		p.Invalid = append(p.Invalid, Invalid{Raw: raw, Reason: reason})
		return nil
	}
	p.Events = append(p.Events, ev)
	return nil
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
