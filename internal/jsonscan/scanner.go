package jsonscan

import (
	"fmt"
	"unsafe"
)

// MaxDepth bounds nesting, as encoding/json does.
const MaxDepth = 10000

// Scanner is the one structural JSON reader of the project, over the
// lexical functions of this package: it walks objects (Member) and arrays
// (Element) and validates and skips any value (Value), accepting exactly
// what encoding/json accepts plus raw control characters inside strings
// (StrControl: real producers emit them, and extract keeps them byte for
// byte). The readers built on it (an audit event in internal/event, its
// actor in internal/actor, an API page in internal/pigment) loop over Member and Element themselves and
// pick their fields in the same pass: a loop in the caller rather than a
// callback, which would move the Scanner to the heap and cost an
// allocation per event.
//
// Every method reading a value expects I at its first byte (no leading
// space) and leaves I just past it. Errors are *SyntaxError, which each
// reader words in its own vocabulary. Member, Str and String call str
// directly rather than through StrControl: strings are most of the input,
// and the wrapper call cost about 3% of an event's parse.
type Scanner struct {
	B   []byte // the input
	I   int    // the offset of the next byte to read
	key [64]byte
}

// SyntaxError is a problem in the input at Offset.
type SyntaxError struct {
	Offset int
	What   string // what is wrong there
	EOF    bool   // the input ended at Offset (truncated?)
}

// Error is, e.g., "invalid JSON at offset 7: want an object key".
func (e *SyntaxError) Error() string { return "invalid JSON" + e.Detail("input") }

// Detail says where and what the problem is, for a reader's own message
// that calls its input noun (such as "body"): " at offset 7: want an
// object key", or ": unexpected end of body at offset 9 (truncated?)".
func (e *SyntaxError) Detail(noun string) string {
	if e.EOF {
		return fmt.Sprintf(": unexpected end of %s at offset %d (truncated?)", noun, e.Offset)
	}
	return fmt.Sprintf(" at offset %d: %s", e.Offset, e.What)
}

// Errorf returns a *SyntaxError at I saying what is wrong there.
func (s *Scanner) Errorf(what string) error {
	return &SyntaxError{Offset: s.I, What: what, EOF: s.I >= len(s.B)}
}

// More reports whether there is input left at I.
func (s *Scanner) More() bool { return s.I < len(s.B) }

// Peek returns the byte at I, or 0 at the end of the input.
func (s *Scanner) Peek() byte {
	if s.I < len(s.B) {
		return s.B[s.I]
	}
	return 0
}

// SkipSpace moves I past white space.
func (s *Scanner) SkipSpace() { s.I = SkipSpace(s.B, s.I) }

// Value validates and skips any JSON value; depth is the nesting of the
// value (0 for a top-level one).
func (s *Scanner) Value(depth int) error {
	switch c := s.Peek(); {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return s.Errorf("nesting too deep")
		}
		s.I++
		for n := 0; ; n++ {
			var ok bool
			var err error
			if c == '{' {
				_, ok, err = s.Member(n)
			} else {
				ok, err = s.Element(n)
			}
			if err != nil || !ok {
				return err
			}
			if err := s.Value(depth + 1); err != nil {
				return err
			}
		}
	case c == '"':
		_, _, _, err := s.Str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.Number()
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Literal("null")
	}
	return s.Errorf(fmt.Sprintf("unexpected %q, want a value", s.Peek()))
}

// Member moves to member n (0 for the first) of the object whose '{' was
// consumed, and returns its key with I at its value, which the caller must
// consume before asking for member n+1; ok is false once the closing brace
// is consumed. The key aliases the input, or (when it has escapes) a
// scratch buffer that the next Member call overwrites.
func (s *Scanner) Member(n int) (key []byte, ok bool, err error) {
	// As next, written out, on local copies of B and I: this is the
	// hottest loop of every reader.
	b, i := s.B, SkipSpace(s.B, s.I)
	switch {
	case i < len(b) && b[i] == '}':
		s.I = i + 1
		return nil, false, nil
	case n == 0:
	case i < len(b) && b[i] == ',':
		i = SkipSpace(b, i+1)
	default:
		s.I = i
		return nil, false, s.Errorf("want ',' or '}' in an object")
	}
	if i >= len(b) || b[i] != '"' {
		s.I = i
		return nil, false, s.Errorf("want an object key")
	}
	start, end, esc, next, what := str(b, i, true)
	if s.I = next; what != "" {
		return nil, false, s.Errorf(what)
	}
	key = b[start:end]
	if esc {
		key = AppendUnescaped(s.key[:0], key)
	}
	if i = next; i >= len(b) || b[i] != ':' { // most keys are followed by ':'
		if i = SkipSpace(b, i); i >= len(b) || b[i] != ':' {
			s.I = i
			return nil, false, s.Errorf("want ':' after an object key")
		}
	}
	s.I = SkipSpace(b, i+1)
	return key, true, nil
}

// Element moves to element n (0 for the first) of the array whose '[' was
// consumed, with I at it; the caller must consume it before asking for
// element n+1. ok is false once the closing bracket is consumed.
func (s *Scanner) Element(n int) (ok bool, err error) {
	return s.next(n, ']', "want ',' or ']' in an array")
}

// next moves to item n of the container whose opening bracket was
// consumed: past nothing before item 0, past a ',' before the others. It
// reports false once it consumed the closing bracket, and says what was
// wanted when neither is there.
func (s *Scanner) next(n int, closing byte, want string) (bool, error) {
	s.SkipSpace()
	switch c := s.Peek(); {
	case c == closing:
		s.I++
		return false, nil
	case n == 0:
		return true, nil
	case c == ',':
		s.I++
		s.SkipSpace()
		return true, nil
	}
	return false, s.Errorf(want)
}

// Str reads the string at I and returns the span of its contents (between
// the quotes) and whether it has escapes or raw control characters.
func (s *Scanner) Str() (start, end int, esc bool, err error) {
	start, end, esc, next, what := str(s.B, s.I, true)
	s.I = next
	if what != "" {
		return 0, 0, false, s.Errorf(what)
	}
	return start, end, esc, nil
}

// String reads the value at I if it is a string and skips it otherwise
// (returning ""), so a field of an unexpected type never fails a reader;
// depth is the value's nesting. A string without escapes aliases the
// input (no allocation): the input must not change while it is in use.
func (s *Scanner) String(depth int) (string, error) {
	if s.Peek() != '"' {
		return "", s.Value(depth)
	}
	start, end, esc, next, what := str(s.B, s.I, true)
	if s.I = next; what != "" {
		return "", s.Errorf(what)
	}
	if start == end {
		return "", nil
	}
	if esc {
		return string(AppendUnescaped(make([]byte, 0, end-start), s.B[start:end])), nil
	}
	return unsafe.String(&s.B[start], end-start), nil
}

// Number reads a number at I.
func (s *Scanner) Number() error {
	var what string
	if s.I, what = Number(s.B, s.I); what != "" {
		return s.Errorf(what)
	}
	return nil
}

// Literal reads lit (true, false or null) at I.
func (s *Scanner) Literal(lit string) error {
	var what string
	if s.I, what = Literal(s.B, s.I, lit); what != "" {
		return s.Errorf(what)
	}
	return nil
}

// Enter consumes the '{' of the object at I and reports true, or skips a
// value of another kind (at nesting depth) and reports false: a reader
// takes what it expects to be an object this way, so a null or a string
// there is ignored rather than failing the input.
func (s *Scanner) Enter(depth int) (bool, error) {
	if s.Peek() != '{' {
		return false, s.Value(depth)
	}
	s.I++
	return true, nil
}
