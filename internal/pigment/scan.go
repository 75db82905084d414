package pigment

import (
	"fmt"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// scanner is a minimal validating JSON reader over one body: it accepts
// what encoding/json accepts (checked by FuzzDecodePage), and raw control
// characters inside strings, which real producers emit. It walks a page's
// envelope (the events array, the cursors) and finds each element's end;
// event.ParseAPI reads the elements.
//
// Every method reading a value expects s.i at its first byte (no leading
// space) and leaves s.i just past it.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) more() bool { return s.i < len(s.b) }

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) skipSpace() { s.i = jsonscan.SkipSpace(s.b, s.i) }

// errorf reports a problem at s.i, wrapping errMalformed and kind.
func (s *scanner) errorf(kind error, what string) error {
	if !s.more() {
		return fmt.Errorf("%w: %w: unexpected end of body at offset %d (truncated?)", errMalformed, kind, s.i)
	}
	return fmt.Errorf("%w: %w at offset %d: %s", errMalformed, kind, s.i, what)
}

// value validates and skips any JSON value.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(depth+1, func([]byte) error { return s.value(depth + 1) })
	case c == '[':
		return s.array(depth+1, func() error { return s.value(depth + 1) })
	case c == '"':
		_, _, _, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.errorf(errInvalidJSON, fmt.Sprintf("unexpected %q, want a value", s.peek()))
}

// object reads the object at s.i, calling field for each member with s.i at
// the member's value; field must consume that value. A key with escapes is
// unescaped before the call.
func (s *scanner) object(depth int, field func(key []byte) error) error {
	if depth > maxDepth {
		return s.errorf(errInvalidJSON, "nesting too deep")
	}
	s.i++ // '{'
	s.skipSpace()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errorf(errInvalidJSON, "want an object key")
		}
		start, end, esc, err := s.str()
		if err != nil {
			return err
		}
		key := s.b[start:end]
		if esc {
			key = jsonscan.AppendUnescaped(nil, key)
		}
		s.skipSpace()
		if s.peek() != ':' {
			return s.errorf(errInvalidJSON, "want ':' after an object key")
		}
		s.i++
		s.skipSpace()
		if err := field(key); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.i++
			s.skipSpace()
		case '}':
			s.i++
			return nil
		default:
			return s.errorf(errInvalidJSON, "want ',' or '}' in an object")
		}
	}
}

// array reads the array at s.i, calling elem with s.i at each element; elem
// must consume it.
func (s *scanner) array(depth int, elem func() error) error {
	if depth > maxDepth {
		return s.errorf(errInvalidJSON, "nesting too deep")
	}
	s.i++ // '['
	s.skipSpace()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.i++
			s.skipSpace()
		case ']':
			s.i++
			return nil
		default:
			return s.errorf(errInvalidJSON, "want ',' or ']' in an array")
		}
	}
}

// str reads the string at s.i and returns the span of its contents (between
// the quotes) and whether it has escapes.
func (s *scanner) str() (start, end int, esc bool, err error) {
	start, end, esc, next, what := jsonscan.StrControl(s.b, s.i)
	s.i = next
	if what != "" {
		return 0, 0, false, s.errorf(errInvalidJSON, what)
	}
	return start, end, esc, nil
}

// number reads a number at s.i.
func (s *scanner) number() error {
	var what string
	if s.i, what = jsonscan.Number(s.b, s.i); what != "" {
		return s.errorf(errInvalidJSON, what)
	}
	return nil
}

// literal reads lit (true, false or null) at s.i.
func (s *scanner) literal(lit string) error {
	var what string
	if s.i, what = jsonscan.Literal(s.b, s.i, lit); what != "" {
		return s.errorf(errInvalidJSON, what)
	}
	return nil
}

// jsonString is a field read leniently: any JSON value is accepted and kept
// only if it is a string, so a field of an unexpected type never fails the
// decoding of a whole page.
type jsonString struct {
	s    string
	kind string // "" when absent, else the kind of the value (see jsonscan.Kind)
}

// field reads any value into f: a string as encoding/json reads it
// (jsonscan.ValidUTF8), since a cursor is sent back and stored as text.
func (s *scanner) field(depth int, f *jsonString) error {
	f.kind, f.s = jsonscan.Kind(s.b[s.i:]), ""
	if s.peek() != '"' {
		return s.value(depth)
	}
	start, end, esc, err := s.str()
	if err != nil {
		return err
	}
	v := s.b[start:end]
	if esc {
		v = jsonscan.AppendUnescaped(nil, v)
	}
	f.s = jsonscan.ValidUTF8(string(v))
	return nil
}
