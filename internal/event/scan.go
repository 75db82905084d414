package event

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// scanner is a minimal validating JSON reader over one record: it accepts
// exactly what encoding/json accepts as a value (checked by FuzzParse),
// plus raw control characters (U+0000 to U+001F) inside strings, as
// extract does (jsonscan.StrControl): real producers emit them and the
// topic keeps them byte for byte. It lets Parse pick out the fields it
// needs in the same pass, without maps, reflection or allocations for
// strings without escapes.
//
// Every method reading a value expects s.i at its first byte (no leading
// space) and leaves s.i just past it.
type scanner struct {
	b   []byte
	i   int
	key [64]byte // scratch for the rare keys with escapes
}

// errSyntax is wrapped by every syntax error, so tests can tell syntax from
// content errors.
var errSyntax = errors.New("invalid JSON")

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) skipSpace() { s.i = jsonscan.SkipSpace(s.b, s.i) }

// errorf reports a syntax error at s.i. Its "transform:" prefix predates
// the package: dead letters carry these texts as their reason.
func (s *scanner) errorf(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("transform: %w: unexpected end of input at offset %d (truncated?)", errSyntax, s.i)
	}
	return fmt.Errorf("transform: %w at offset %d: %s", errSyntax, s.i, what)
}

// value validates and skips any JSON value.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '{':
		if depth >= maxDepth {
			return s.errorf("nesting too deep")
		}
		s.i++
		for n := 0; ; n++ {
			_, ok, err := s.member(n)
			if err != nil || !ok {
				return err
			}
			if err := s.value(depth + 1); err != nil {
				return err
			}
		}
	case c == '[':
		if depth >= maxDepth {
			return s.errorf("nesting too deep")
		}
		s.i++
		s.skipSpace()
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.value(depth + 1); err != nil {
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
				return s.errorf("want ',' or ']' in an array")
			}
		}
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
	return s.errorf(fmt.Sprintf("unexpected %q, want a value", s.peek()))
}

// member moves to member n (0 for the first) of the object whose '{' was
// consumed, and returns its key with s.i at its value; ok is false once the
// closing brace is consumed. The key aliases the input or s.key.
func (s *scanner) member(n int) (key []byte, ok bool, err error) {
	s.skipSpace()
	switch c := s.peek(); {
	case c == '}' && n == 0:
		s.i++
		return nil, false, nil
	case n == 0:
	case c == ',':
		s.i++
		s.skipSpace()
	case c == '}':
		s.i++
		return nil, false, nil
	default:
		return nil, false, s.errorf("want ',' or '}' in an object")
	}
	if s.peek() != '"' {
		return nil, false, s.errorf("want an object key")
	}
	start, end, esc, err := s.str()
	if err != nil {
		return nil, false, err
	}
	key = s.b[start:end]
	if esc {
		key = jsonscan.AppendUnescaped(s.key[:0], key)
	}
	s.skipSpace()
	if s.peek() != ':' {
		return nil, false, s.errorf("want ':' after an object key")
	}
	s.i++
	s.skipSpace()
	return key, true, nil
}

// str reads the string at s.i and returns the span of its contents (between
// the quotes) and whether it has escapes or raw control characters.
func (s *scanner) str() (start, end int, esc bool, err error) {
	start, end, esc, next, what := jsonscan.StrControl(s.b, s.i)
	s.i = next
	if what != "" {
		return 0, 0, false, s.errorf(what)
	}
	return start, end, esc, nil
}

// number reads a number at s.i.
func (s *scanner) number() error {
	var what string
	if s.i, what = jsonscan.Number(s.b, s.i); what != "" {
		return s.errorf(what)
	}
	return nil
}

// literal reads lit (true, false or null) at s.i.
func (s *scanner) literal(lit string) error {
	var what string
	if s.i, what = jsonscan.Literal(s.b, s.i, lit); what != "" {
		return s.errorf(what)
	}
	return nil
}

// string reads the value at s.i if it is a string and skips it otherwise
// (returning ""), so a field of an unexpected type never fails a record.
// A string without escapes aliases the input (see Parse).
func (s *scanner) string(depth int) (string, error) {
	if s.peek() != '"' {
		return "", s.value(depth)
	}
	start, end, esc, err := s.str()
	if err != nil || start == end {
		return "", err
	}
	if esc {
		return string(jsonscan.AppendUnescaped(make([]byte, 0, end-start), s.b[start:end])), nil
	}
	return unsafe.String(&s.b[start], end-start), nil
}

// int reads an integer number at s.i; another value (or a number that is
// not an int64) is skipped and read as 0.
func (s *scanner) int() (int64, error) {
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return 0, s.value(1)
	}
	start := s.i
	if err := s.number(); err != nil {
		return 0, err
	}
	v, _ := strconv.ParseInt(unsafe.String(&s.b[start], s.i-start), 10, 64)
	return v, nil
}

// stringOrNumber reads a string like string, or a number as its text (an
// ASN may come either way); any other value is skipped.
func (s *scanner) stringOrNumber(depth int) (string, error) {
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		return s.string(depth)
	}
	start := s.i
	if err := s.number(); err != nil {
		return "", err
	}
	return unsafe.String(&s.b[start], s.i-start), nil
}
