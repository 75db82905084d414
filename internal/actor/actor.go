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
// A reader that validates a whole record reads both rules in the same pass
// with Read and Member (internal/event does): they give what Parse and
// Target give for the same bytes.
//
// Strings may hold raw control characters (U+0000 to U+001F), which
// encoding/json refuses but real producers emit and extract keeps byte for
// byte (jsonscan.StrControl): a value keeps them as they are.
package actor

import (
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

// shape says which keys an object is read with (keyOf): an actor's, a
// member changed's, or a member changed's inside an event's target object,
// where id and name are the application's.
type shape uint8

const (
	actorShape shape = iota
	memberShape
	targetShape
)

// Parse reads b, the JSON value of an event's (or alert's) "actor" member,
// with the rule of the package comment. It never fails: a value that has no
// actor, or is not valid JSON, gives the zero Actor. It is Read over b
// alone, for a reader that does not walk the record itself.
//
// Strings without escapes alias b (no allocation), so b must not be
// modified while the Actor is in use; a value with escapes is unescaped
// into a new string.
func Parse(b []byte) Actor {
	s := jsonscan.Scanner{B: b}
	s.SkipSpace()
	a, err := Read(&s, 0)
	if err != nil || !whole(&s) {
		return Actor{}
	}
	return a
}

// whole reports whether nothing but space follows the value s read.
func whole(s *jsonscan.Scanner) bool {
	s.SkipSpace()
	return !s.More()
}

// nestedAt returns the nesting level (1: "user", 2: "member") of a nested
// object named key in an object of shape sh and the shape it is read with;
// 0 when key names no nested object.
func nestedAt(key []byte, sh shape) (int, shape) {
	switch {
	case sh == actorShape && string(key) == "user":
		return 1, actorShape
	case sh != actorShape && string(key) == "user":
		return 1, memberShape
	case sh != actorShape && string(key) == "member":
		return 2, memberShape
	}
	return 0, sh
}
