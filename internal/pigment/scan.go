package pigment

import (
	"fmt"
	"strings"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// scanner reads one answer body with the project's one JSON scanner
// (jsonscan.Scanner), which accepts what encoding/json accepts (checked by
// FuzzDecodePage) and raw control characters inside strings, which real
// producers emit. decodePage walks a page's envelope (the events array,
// the cursors) with it and finds each element's end; event.ParseAPI reads
// the elements. Below is what only a page needs.
type scanner struct {
	jsonscan.Scanner
}

// malformed words an error of the scanner as a malformed page: it wraps
// errMalformed and errInvalidJSON, and gives the offset in the body.
func malformed(err error) error {
	if se, ok := err.(*jsonscan.SyntaxError); ok {
		return fmt.Errorf("%w: %w%s", errMalformed, errInvalidJSON, se.Detail("body"))
	}
	return err
}

// jsonString is a field read leniently: any JSON value is accepted and kept
// only if it is a string, so a field of an unexpected type never fails the
// decoding of a whole page.
type jsonString struct {
	s    string
	kind string // "" when absent, else the kind of the value (see jsonscan.Kind)
}

// field reads any value into f: a string as encoding/json reads it
// (jsonscan.ValidUTF8), and a copy, since a cursor is sent back and stored
// as text after the page is gone.
func (s *scanner) field(depth int, f *jsonString) error {
	f.kind = jsonscan.Kind(s.B[s.I:])
	v, err := s.String(depth)
	f.s = strings.Clone(jsonscan.ValidUTF8(v))
	return err
}
