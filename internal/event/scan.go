package event

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = jsonscan.MaxDepth

// scanner reads one record with the project's one JSON scanner
// (jsonscan.Scanner): it accepts exactly what encoding/json accepts as a
// value (checked by FuzzParse), plus raw control characters inside
// strings, as extract does: real producers emit them and the topic keeps
// them byte for byte. It lets Parse pick out the fields it needs in the
// same pass, without maps, reflection or allocations for strings without
// escapes. Below are the readers only an event needs.
type scanner struct {
	jsonscan.Scanner
}

// errSyntax is wrapped by every syntax error, so tests can tell syntax from
// content errors.
var errSyntax = errors.New("invalid JSON")

// syntaxError words a scanner error. Its "transform:" prefix predates the
// package: dead letters carry these texts as their reason.
func syntaxError(err error) error {
	if se, ok := err.(*jsonscan.SyntaxError); ok {
		return fmt.Errorf("transform: %w%s", errSyntax, se.Detail("input"))
	}
	return err
}

// int reads an integer number at s.I; another value (or a number that is
// not an int64) is skipped and read as 0.
func (s *scanner) int() (int64, error) {
	if c := s.Peek(); c != '-' && (c < '0' || c > '9') {
		return 0, s.Value(1)
	}
	start := s.I
	if err := s.Number(); err != nil {
		return 0, err
	}
	v, _ := strconv.ParseInt(unsafe.String(&s.B[start], s.I-start), 10, 64)
	return v, nil
}

// stringOrNumber reads a string like String, or a number as its text (an
// ASN may come either way); any other value is skipped.
func (s *scanner) stringOrNumber(depth int) (string, error) {
	if c := s.Peek(); c != '-' && (c < '0' || c > '9') {
		return s.String(depth)
	}
	start := s.I
	if err := s.Number(); err != nil {
		return "", err
	}
	return unsafe.String(&s.B[start], s.I-start), nil
}

// time reads a timestamp (see parseTime) and its text. It returns the time
// if prefer is set or old is zero, and old otherwise or when the value is
// not a timestamp.
func (s *scanner) time(old time.Time, prefer bool) (time.Time, string, error) {
	v, err := s.String(1)
	if err != nil {
		return old, v, err
	}
	if t, ok := parseTime(v); ok && (prefer || old.IsZero()) {
		return t, v, nil
	}
	return old, v, nil
}
