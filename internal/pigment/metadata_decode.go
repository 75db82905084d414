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
// wrapped shape that holds it, the members every element must carry (as
// strings), and how to read a member into a record.
type listSpec[T any] struct {
	wrapper  string
	required []string
	// field reads member key of an element into v, reporting false for a
	// key it does not know (the caller skips it).
	field func(e *elemReader, key string, v *T) (known bool, err error)
}

var (
	applicationSpec = listSpec[Application]{wrapper: "applications", required: []string{"id", "name"},
		field: func(e *elemReader, key string, v *Application) (bool, error) {
			switch key {
			case "id":
				return true, e.str(key, &v.ID)
			case "name":
				return true, e.str(key, &v.Name)
			case "createdAt":
				return true, e.optStr(key, &v.CreatedAt)
			case "modifiedAt":
				return true, e.optStr(key, &v.ModifiedAt)
			}
			return false, nil
		}}
	blockSpec = listSpec[Block]{wrapper: "blocks", required: []string{"id", "name", "type"},
		field: func(e *elemReader, key string, v *Block) (bool, error) {
			switch key {
			case "id":
				return true, e.str(key, &v.ID)
			case "name":
				return true, e.str(key, &v.Name)
			case "type":
				return true, e.str(key, &v.Type)
			case "dimensions":
				return true, e.strs(key, &v.Dimensions, &v.HasDimensions)
			}
			return false, nil
		}}
	importSpec = listSpec[ImportConfiguration]{wrapper: "importConfigurations", required: []string{"id", "name"},
		field: func(e *elemReader, key string, v *ImportConfiguration) (bool, error) {
			switch key {
			case "id":
				return true, e.str(key, &v.ID)
			case "name":
				return true, e.str(key, &v.Name)
			}
			return false, nil
		}}
	viewSpec = listSpec[View]{wrapper: "views", required: []string{"id", "name"},
		field: func(e *elemReader, key string, v *View) (bool, error) {
			switch key {
			case "id":
				return true, e.str(key, &v.ID)
			case "name":
				return true, e.str(key, &v.Name)
			case "type":
				return true, e.optStr(key, &v.Type)
			}
			return false, nil
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
	depth int      // the nesting of the element's members
	seen  []string // the members read, for the required check
	last  string   // the last string read
}

// readElement reads the element at e.s.I into v: an object with the
// required members as strings and a non-empty id.
func readElement[T any](e *elemReader, spec listSpec[T], v *T) error {
	s := e.s
	if kind := jsonscan.Kind(s.B[s.I:]); kind != "object" {
		if err := s.Value(e.depth - 1); err != nil {
			return err
		}
		return fmt.Errorf("%s, want an object", kind)
	}
	s.I++
	e.seen = e.seen[:0]
	var id string
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		k := string(key)
		known, err := spec.field(e, k, v)
		if err != nil {
			return err
		}
		if !known {
			if err := s.Value(e.depth); err != nil {
				return err
			}
			continue
		}
		e.seen = append(e.seen, k)
		if k == "id" {
			id = e.last
		}
	}
	for _, k := range spec.required {
		if !slices.Contains(e.seen, k) {
			return fmt.Errorf("%s is missing", k)
		}
	}
	if id == "" {
		return errors.New("id is empty")
	}
	return nil
}

// str reads a required string member into dst; another kind is an error.
func (e *elemReader) str(key string, dst *string) error {
	if kind := jsonscan.Kind(e.s.B[e.s.I:]); kind != "string" {
		return fmt.Errorf("%s is %s, want a string", key, kind)
	}
	v, err := e.s.String(e.depth)
	*dst = strings.Clone(jsonscan.ValidUTF8(v))
	e.last = *dst
	return err
}

// optStr reads an optional string member into dst: null is as absent.
func (e *elemReader) optStr(key string, dst *string) error {
	if e.s.Peek() == 'n' {
		return e.s.Literal("null")
	}
	return e.str(key, dst)
}

// strs reads an optional array of strings into dst, setting has when it
// is an array (null is as absent: has stays false).
func (e *elemReader) strs(key string, dst *[]string, has *bool) error {
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
