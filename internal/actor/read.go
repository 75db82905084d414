package actor

import (
	"strings"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// This file is the one implementation of the rules of Parse and Target.
// Read and Member read them in the same pass as a reader that validates the
// whole record (internal/event): scanning an event's actor, target,
// metadata and payload a second time cost a quarter of its parse. They
// validate as they go, exactly as jsonscan.Scanner.Value does; Parse and
// Target are them over one value's bytes. FuzzRead and FuzzMember compare
// them with the first implementation, kept in ref_test.go.

// collector keeps, for each of the id, the email and the name, the value
// of the best rank seen (lower is better; 0: none yet). A later value of
// the same rank replaces an earlier one, so the result is the rule's: the
// last non-empty string of the first key, in precedence order, that has one.
type collector struct {
	v    [3]string
	rank [3]uint8
}

// Fields of a collector.
const (
	cID = iota
	cEmail
	cName
)

// set offers v, the value of the key at position pos of field's precedence
// list, in the object at nesting level base (0: direct, 1: "user", 2:
// "member").
func (c *collector) set(field, pos, base int, v string) {
	r := uint8(base*4 + pos + 1)
	if v != "" && (c.rank[field] == 0 || r <= c.rank[field]) {
		c.v[field], c.rank[field] = v, r
	}
}

// keyOf is the field and the position in its precedence list of key in an
// object of shape sh, ok false for other keys (and, in a target object,
// for id and name).
func keyOf(key []byte, sh shape) (field, pos int, ok bool) {
	if sh == actorShape {
		switch string(key) {
		case "memberId":
			return cID, 0, true
		case "id":
			return cID, 1, true
		case "userId":
			return cID, 2, true
		case "email":
			return cEmail, 0, true
		case "name":
			return cName, 0, true
		}
		return 0, 0, false
	}
	switch string(key) {
	case "targetMemberId":
		return cID, 0, true
	case "memberId":
		return cID, 1, true
	case "userId":
		return cID, 2, true
	case "id":
		return cID, 3, sh != targetShape
	case "targetEmail":
		return cEmail, 0, true
	case "userEmail":
		return cEmail, 1, true
	case "email":
		return cEmail, 2, true
	case "targetName":
		return cName, 0, true
	case "userName":
		return cName, 1, true
	case "name":
		return cName, 2, sh != targetShape
	}
	return 0, 0, false
}

// member reads the value at s.I of member key of an object of shape sh at
// nesting level base, at nesting depth, if the rule reads it: a string
// of a key of sh, or (at level 0) a nested "user" or "member" object, which it
// validates and reads whole. It reports false, having consumed nothing,
// for any other value.
func (c *collector) member(s *jsonscan.Scanner, key []byte, sh shape, base, depth int) (bool, error) {
	switch s.Peek() {
	case '"':
		field, pos, ok := keyOf(key, sh)
		if !ok {
			return false, nil
		}
		v, err := s.String(depth)
		c.set(field, pos, base, v)
		return true, err
	case '{':
		level, nested := nestedAt(key, sh)
		if base != 0 || level == 0 {
			return false, nil
		}
		return true, c.object(s, nested, level, depth)
	}
	return false, nil
}

// object validates and reads the object at s.I, at nesting depth, as
// Scanner.Value would, with the keys of sh at nesting level base.
func (c *collector) object(s *jsonscan.Scanner, sh shape, base, depth int) error {
	if depth >= jsonscan.MaxDepth {
		return s.Errorf("nesting too deep")
	}
	s.I++ // '{'
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil || !ok {
			return err
		}
		if ok, err = c.member(s, key, sh, base, depth+1); err != nil {
			return err
		}
		if !ok {
			if err := s.Value(depth + 1); err != nil {
				return err
			}
		}
	}
}

// Read validates the JSON value at s.I (an event's or alert's "actor", at
// nesting depth) as Scanner.Value does, and reads it in the same pass: the
// Actor is the one Parse reads from the same bytes, zero on an error.
func Read(s *jsonscan.Scanner, depth int) (Actor, error) {
	switch s.Peek() {
	case '"':
		v, err := s.String(depth)
		switch {
		case err != nil:
			return Actor{}, err
		case strings.IndexByte(v, '@') >= 0:
			return Actor{Email: v}, nil
		}
		return Actor{ID: v}, nil
	case '{':
		var c collector
		if err := c.object(s, actorShape, 0, depth); err != nil {
			return Actor{}, err
		}
		return Actor{ID: c.v[cID], Email: c.v[cEmail], Name: c.v[cName]}, nil
	}
	return Actor{}, s.Value(depth)
}

// Member gathers what Target reads from one object of an event (its
// target, metadata or payload) for a reader that walks the object itself
// and hands each of its members to Read. The zero Member names no one:
// start from it at each occurrence of the object's key, as Target reads
// the last.
type Member struct {
	c collector
}

// Read reads the value at s.I of member key of an event's target object
// (inTarget) or of its metadata or payload, at nesting depth, if Target's
// rule reads it, and reports whether it did; otherwise it consumes nothing
// and the caller reads the value. A value it reads is validated as
// Scanner.Value does.
func (m *Member) Read(s *jsonscan.Scanner, key []byte, inTarget bool, depth int) (bool, error) {
	sh := memberShape
	if inTarget {
		sh = targetShape
	}
	return m.c.member(s, key, sh, 0, depth)
}

// names reports whether m names a member (an id or an email).
func (m *Member) names() bool { return m.c.v[cID] != "" || m.c.v[cEmail] != "" }

// TargetOf is Target over the objects read into target, metadata and
// payload (see Member): the first that names a member gives all three
// fields.
func TargetOf(target, metadata, payload *Member) Actor {
	m := payload
	switch {
	case target.names():
		m = target
	case metadata.names():
		m = metadata
	}
	return m.actor()
}

// actor is what m names.
func (m *Member) actor() Actor {
	return Actor{ID: m.c.v[cID], Email: m.c.v[cEmail], Name: m.c.v[cName]}
}
