// Package actor is the one rule for who did something in a Pigment audit
// event (Parse), and the one rule for the member an event changes
// (Target). Extract keys Kafka records by the actor, forward writes it into
// every SIEM format, detect counts by it: one member must be one actor
// everywhere, whatever envelope or shape the API used.
//
// The API's actor value comes in these shapes (the described API and
// Pigment's public data model; README, "The topic contract"):
//
//	described: "actor":{"memberId":"m1","email":"a@x.io","name":"Ann"}
//	public:    "actor":{"user":{"id":"m1","email":"a@x.io","name":"Ann"},...}
//	also:      "actor":{"id"|"userId"|"memberId":"m1","email":...,"name":...}
//	           "actor":"a@x.io" (an email: it has '@') or "actor":"m1" (an id)
//
// The rule: the id is the first present of memberId, id, userId, then the
// same three inside "user"; the email and the name are the direct ones, else
// those inside "user". Direct fields come before nested ones, so an object
// that carries both is read the same whichever envelope added the other.
// Only non-empty strings count: null, numbers, booleans, objects and ""
// are absent (a repeated key: the last non-empty string wins). Only one
// level of "user" is read; a "user" that is not an object is ignored.
//
// Strings may hold raw control characters (U+0000 to U+001F), which
// encoding/json refuses but real producers emit and extract keeps byte for
// byte (jsonscan.StrControl): a value keeps them as they are.
package actor

import (
	"strings"
	"unsafe"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// Actor is who did something; an empty field is absent.
type Actor struct {
	ID, Email, Name string
}

// Key is the identity one member's events share: the id, else the email,
// else "". Extract keys Kafka records by it (the eventId when it is "") and
// detect counts per actor by it.
func (a Actor) Key() string {
	if a.ID != "" {
		return a.ID
	}
	return a.Email
}

// Slots of what an actor object may carry, in precedence order for the id.
const (
	memberID = iota
	id
	userID
	email
	name
	nFields
	user = nFields // offset of the nested user's slots
)

// shape says which keys an object is read with: an actor's (slotOf), a
// member changed's (memberSlot), or a member changed's inside an event's
// target object, where id and name are the application's.
type shape uint8

const (
	actorShape shape = iota
	memberShape
	targetShape
)

// Parse reads b, the JSON value of an event's (or alert's) "actor" member,
// with the rule of the package comment. It never fails: a value that has no
// actor, or is not valid JSON, gives the zero Actor. Callers validate the
// record's JSON themselves; Parse reads only the actor's own bytes.
//
// Strings without escapes alias b (no allocation), so b must not be
// modified while the Actor is in use; a value with escapes is unescaped
// into a new string.
func Parse(b []byte) Actor {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) {
		return Actor{}
	}
	switch b[i] {
	case '"':
		v, next, ok := str(b, i)
		if !ok || jsonscan.SkipSpace(b, next) != len(b) {
			return Actor{}
		}
		if strings.IndexByte(v, '@') >= 0 {
			return Actor{Email: v}
		}
		return Actor{ID: v}
	case '{':
		var f [2 * nFields]string
		next, ok := object(b, i, f[:], 0, actorShape)
		if !ok || jsonscan.SkipSpace(b, next) != len(b) {
			return Actor{}
		}
		return Actor{
			ID:    first(f[memberID], f[id], f[userID], f[user+memberID], f[user+id], f[user+userID]),
			Email: first(f[email], f[user+email]),
			Name:  first(f[name], f[user+name]),
		}
	}
	return Actor{}
}

// object reads the object whose '{' is at b[i], with the keys of sh, into
// the slots at offset base of f, and (when base is 0) its nested objects at
// their offsets (nestedAt). It returns the offset past the object, and
// false on a syntax problem.
func object(b []byte, i int, f []string, base int, sh shape) (int, bool) {
	var scratch [32]byte
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		start, end, esc, next, what := jsonscan.StrControl(b, i)
		if what != "" {
			return next, false
		}
		key := b[start:end]
		if esc {
			key = jsonscan.AppendUnescaped(scratch[:0], key)
		}
		i = jsonscan.SkipSpace(b, next)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = jsonscan.SkipSpace(b, i+1)
		slot := slotOf(key, sh)
		off, nested := nestedAt(key, sh)
		var ok bool
		switch {
		case slot >= 0 && i < len(b) && b[i] == '"':
			var v string
			if v, i, ok = str(b, i); ok && v != "" {
				f[base+slot] = v
			}
		case base == 0 && off > 0 && i < len(b) && b[i] == '{':
			i, ok = object(b, i, f, off, nested)
		default:
			i, ok = skip(b, i)
		}
		if !ok {
			return i, false
		}
		i = jsonscan.SkipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = jsonscan.SkipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// slotOf is the slot of a field of an object of shape sh, -1 for other
// keys.
func slotOf(key []byte, sh shape) int {
	if sh != actorShape {
		return memberSlot(key, sh)
	}
	switch string(key) {
	case "memberId":
		return memberID
	case "id":
		return id
	case "userId":
		return userID
	case "email":
		return email
	case "name":
		return name
	}
	return -1
}

// nestedAt returns the offset of the slots of a nested object named key in
// an object of shape sh and the shape it is read with; 0 when key names no
// nested object.
func nestedAt(key []byte, sh shape) (int, shape) {
	switch {
	case sh == actorShape && string(key) == "user":
		return user, actorShape
	case sh != actorShape && string(key) == "user":
		return mUser, memberShape
	case sh != actorShape && string(key) == "member":
		return mMember, memberShape
	}
	return 0, sh
}

// str reads the string at b[i]: its value, the offset past it, and false on
// a syntax problem.
func str(b []byte, i int) (string, int, bool) {
	start, end, esc, next, what := jsonscan.StrControl(b, i)
	switch {
	case what != "":
		return "", next, false
	case start == end:
		return "", next, true
	case esc:
		return string(jsonscan.AppendUnescaped(make([]byte, 0, end-start), b[start:end])), next, true
	}
	return unsafe.String(&b[start], end-start), next, true
}

// skip returns the offset past the value at b[i], and false on a syntax
// problem. Containers are skipped by bracket depth, their strings by
// StrControl: enough for input the caller validated, and never a panic on
// any other.
func skip(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	var what string
	switch c := b[i]; {
	case c == '"':
		_, _, _, i, what = jsonscan.StrControl(b, i)
	case c == '-' || c >= '0' && c <= '9':
		i, what = jsonscan.Number(b, i)
	case c == 't':
		i, what = jsonscan.Literal(b, i, "true")
	case c == 'f':
		i, what = jsonscan.Literal(b, i, "false")
	case c == 'n':
		i, what = jsonscan.Literal(b, i, "null")
	case c == '{' || c == '[':
		for depth := 0; i < len(b); {
			switch b[i] {
			case '"':
				if _, _, _, i, what = jsonscan.StrControl(b, i); what != "" {
					return i, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	default:
		return i, false
	}
	return i, what == ""
}

// first is the first non-empty of vs.
func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
