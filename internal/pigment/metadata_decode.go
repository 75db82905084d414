package pigment

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// errMalformedMetadata marks a 2xx answer of the Metadata API that is not a
// list of the records asked for. Such answers are retried (a truncated body
// usually is transient), then reported: they never read as an empty list.
var errMalformedMetadata = errors.New("malformed metadata answer")

// listSpec says how to read one Metadata API list: the member of the
// wrapped shape that holds it, and the members of an element, the id
// first.
type listSpec[T any] struct {
	wrapper string
	fields  func(v *T) []field
}

// field is a member of an element and where it goes: a string (required
// unless optional; null is as absent when optional), or an optional array
// of strings (has says whether it was there).
type field struct {
	name     string
	str      *string
	optional bool
	strs     *[]string
	has      *bool
}

var (
	applicationSpec = listSpec[Application]{"applications", func(v *Application) []field {
		return []field{{name: "id", str: &v.ID}, {name: "name", str: &v.Name},
			{name: "createdAt", str: &v.CreatedAt, optional: true}, {name: "modifiedAt", str: &v.ModifiedAt, optional: true}}
	}}
	blockSpec = listSpec[Block]{"blocks", func(v *Block) []field {
		return []field{{name: "id", str: &v.ID}, {name: "name", str: &v.Name}, {name: "type", str: &v.Type},
			{name: "dimensions", strs: &v.Dimensions, has: &v.HasDimensions}}
	}}
	importSpec = listSpec[ImportConfiguration]{"importConfigurations", func(v *ImportConfiguration) []field {
		return []field{{name: "id", str: &v.ID}, {name: "name", str: &v.Name}}
	}}
	viewSpec = listSpec[View]{"views", func(v *View) []field {
		return []field{{name: "id", str: &v.ID}, {name: "name", str: &v.Name}, {name: "type", str: &v.Type, optional: true}}
	}}
)

// decodeList reads a Metadata API answer: a plain JSON array (Pigment's
// OpenAPI) or an object whose member spec.wrapper is that array (the
// description; other members are ignored). Each element must be an object
// with spec.required as strings and an "id" that is not empty; unknown
// members are validated and ignored. Anything else is an error wrapping
// errMalformedMetadata that says what and where. The records do not alias
// body.
func decodeList[T any](body []byte, spec listSpec[T]) ([]T, error) {
	s := scanner{jsonscan.Scanner{B: body}}
	s.SkipSpace()
	var (
		out []T
		err error
	)
	switch c := s.Peek(); c {
	case '[':
		out, err = readElements(&s, spec, 0)
	case '{':
		out, err = readWrapped(&s, spec)
	case '<':
		return nil, fmt.Errorf("%w: the answer is HTML, not JSON (a proxy's or a login page?)", errMalformedMetadata)
	default:
		if !s.More() {
			return nil, fmt.Errorf("%w: empty body", errMalformedMetadata)
		}
		return nil, fmt.Errorf("%w: top level is %s, want an array or an object with %q", errMalformedMetadata,
			jsonscan.Kind(s.B[s.I:]), spec.wrapper)
	}
	if err == nil {
		if s.SkipSpace(); s.More() {
			err = s.Errorf("data after the top-level value")
		}
	}
	if se, ok := err.(*jsonscan.SyntaxError); ok {
		return nil, fmt.Errorf("%w: %w%s", errMalformedMetadata, errInvalidJSON, se.Detail("body"))
	}
	return out, err
}

// readWrapped reads the object at s.I, whose member spec.wrapper must be
// the list (a repeated key: the last wins).
func readWrapped[T any](s *scanner, spec listSpec[T]) ([]T, error) {
	s.I++
	var (
		out  []T
		kind = "absent"
	)
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if string(key) != spec.wrapper {
			if err := s.Value(1); err != nil {
				return nil, err
			}
			continue
		}
		if kind = jsonscan.Kind(s.B[s.I:]); kind != "array" {
			if err := s.Value(1); err != nil {
				return nil, err
			}
			continue
		}
		if out, err = readElements(s, spec, 1); err != nil {
			return nil, err
		}
	}
	if kind != "array" {
		return nil, fmt.Errorf("%w: %s is %s, want an array", errMalformedMetadata, spec.wrapper, kind)
	}
	return out, nil
}

// readElements reads the array at s.I, nested in depth containers.
func readElements[T any](s *scanner, spec listSpec[T], depth int) ([]T, error) {
	s.I++
	out := []T{}
	e := elemReader{s: s, depth: depth + 2}
	for n := 0; ; n++ {
		if ok, err := s.Element(n); err != nil || !ok {
			return out, err
		}
		var v T
		if err := readElement(&e, spec, &v); err != nil {
			var se *jsonscan.SyntaxError
			if errors.As(err, &se) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: element %d of %s: %w", errMalformedMetadata, n+1, spec.wrapper, err)
		}
		out = append(out, v)
	}
}

// elemReader reads one element of a list: an object and its members.
type elemReader struct {
	s     *scanner
	depth int // the nesting of the element's members
}

// readElement reads the element at e.s.I into v: an object with its
// spec's required members and a non-empty id.
func readElement[T any](e *elemReader, spec listSpec[T], v *T) error {
	s := e.s
	if kind := jsonscan.Kind(s.B[s.I:]); kind != "object" {
		if err := s.Value(e.depth - 1); err != nil {
			return err
		}
		return fmt.Errorf("%s, want an object", kind)
	}
	s.I++
	fields := spec.fields(v)
	var seen uint64 // bit i: fields[i] was read
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		i := slices.IndexFunc(fields, func(f field) bool { return f.name == string(key) })
		if i < 0 {
			err = s.Value(e.depth)
		} else {
			seen |= 1 << i
			err = e.read(&fields[i])
		}
		if err != nil {
			return err
		}
	}
	for i, f := range fields {
		if seen&(1<<i) == 0 && f.str != nil && !f.optional {
			return fmt.Errorf("%s is missing", f.name)
		}
	}
	if *fields[0].str == "" {
		return errors.New("id is empty")
	}
	return nil
}

// read reads the value at e.s.I into f.
func (e *elemReader) read(f *field) error {
	switch {
	case f.strs != nil:
		return e.strList(f.name, f.strs, f.has)
	case f.optional && e.s.Peek() == 'n':
		return e.s.Literal("null")
	}
	return e.str(f.name, f.str)
}

// str reads a required string member into dst; another kind is an error.
func (e *elemReader) str(key string, dst *string) error {
	if kind := jsonscan.Kind(e.s.B[e.s.I:]); kind != "string" {
		return fmt.Errorf("%s is %s, want a string", key, kind)
	}
	v, err := e.s.String(e.depth)
	*dst = strings.Clone(jsonscan.ValidUTF8(v))
	return err
}

// strList reads an optional array of strings into dst, setting has when
// it is an array (null is as absent: has stays false).
func (e *elemReader) strList(key string, dst *[]string, has *bool) error {
	s := e.s
	switch kind := jsonscan.Kind(s.B[s.I:]); kind {
	case "null":
		return s.Literal("null")
	case "array":
	default:
		return fmt.Errorf("%s is %s, want an array of strings", key, kind)
	}
	s.I++
	*dst, *has = []string{}, true
	for n := 0; ; n++ {
		if ok, err := s.Element(n); err != nil || !ok {
			return err
		}
		if kind := jsonscan.Kind(s.B[s.I:]); kind != "string" {
			return fmt.Errorf("%s[%d] is %s, want a string", key, n, kind)
		}
		v, err := s.String(e.depth + 1)
		if err != nil {
			return err
		}
		*dst = append(*dst, strings.Clone(jsonscan.ValidUTF8(v)))
	}
}
