package actor

import (
	"strings"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// This file keeps the first implementation of the rules of Parse and
// Target, which read every slot of an object and then picked the first,
// as the oracle that FuzzRead and FuzzMember compare Read and Member with:
// the two ways of writing one rule must agree on every input. It reads
// input that Scanner.Value validated.

// Slots of what an actor object may carry, in precedence order for the id.
const (
	refMemberID = iota
	refID
	refUserID
	refEmail
	refName
	refNFields
	refUser = refNFields // offset of the nested user's slots
)

// Slots of what a member-changed object may carry, in precedence order.
const (
	mTargetMemberID = iota
	mMemberID
	mUserID
	mID
	mTargetEmail
	mUserEmail
	mEmail
	mTargetName
	mUserName
	mName
	nMember
	mUser   = nMember     // offset of the nested user's slots
	mMember = 2 * nMember // offset of the nested member's slots
)

// refParse is Parse as first written.
func refParse(b []byte) Actor {
	s := jsonscan.Scanner{B: b}
	s.SkipSpace()
	switch s.Peek() {
	case '"':
		v, err := s.String(0)
		if err != nil || !whole(&s) {
			return Actor{}
		}
		if strings.IndexByte(v, '@') >= 0 {
			return Actor{Email: v}
		}
		return Actor{ID: v}
	case '{':
		var f [2 * refNFields]string
		if !refObject(&s, f[:], 0, actorShape) || !whole(&s) {
			return Actor{}
		}
		return Actor{
			ID:    first(f[refMemberID], f[refID], f[refUserID], f[refUser+refMemberID], f[refUser+refID], f[refUser+refUserID]),
			Email: first(f[refEmail], f[refUser+refEmail]),
			Name:  first(f[refName], f[refUser+refName]),
		}
	}
	return Actor{}
}

// refTarget is Target as first written.
func refTarget(target, metadata, payload []byte) Actor {
	if a := refMember(target, targetShape); a.ID != "" || a.Email != "" {
		return a
	}
	if a := refMember(metadata, memberShape); a.ID != "" || a.Email != "" {
		return a
	}
	return refMember(payload, memberShape)
}

// refObject reads the object at s.I with the keys of sh, into the slots at
// offset base of f, and (when base is 0) its nested objects at their
// offsets. It reports false on a syntax problem.
func refObject(s *jsonscan.Scanner, f []string, base int, sh shape) bool {
	s.I++ // '{'
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil || !ok {
			return err == nil
		}
		slot := refSlotOf(key, sh)
		off, nested := refNestedAt(key, sh)
		switch {
		case slot >= 0 && s.Peek() == '"':
			var v string
			if v, err = s.String(1); v != "" {
				f[base+slot] = v
			}
		case base == 0 && off > 0 && s.Peek() == '{':
			if !refObject(s, f, off, nested) {
				return false
			}
		default:
			err = s.Value(1)
		}
		if err != nil {
			return false
		}
	}
}

// refSlotOf is the slot of a field of an object of shape sh, -1 for other
// keys.
func refSlotOf(key []byte, sh shape) int {
	if sh != actorShape {
		return refMemberSlot(key, sh)
	}
	switch string(key) {
	case "memberId":
		return refMemberID
	case "id":
		return refID
	case "userId":
		return refUserID
	case "email":
		return refEmail
	case "name":
		return refName
	}
	return -1
}

// refNestedAt returns the offset of the slots of a nested object named key
// in an object of shape sh and the shape it is read with; 0 when key names
// no nested object.
func refNestedAt(key []byte, sh shape) (int, shape) {
	switch {
	case sh == actorShape && string(key) == "user":
		return refUser, actorShape
	case sh != actorShape && string(key) == "user":
		return mUser, memberShape
	case sh != actorShape && string(key) == "member":
		return mMember, memberShape
	}
	return 0, sh
}

// refMember reads b, an object, as a member changed with the keys of sh.
func refMember(b []byte, sh shape) Actor {
	s := jsonscan.Scanner{B: b}
	if s.SkipSpace(); s.Peek() != '{' {
		return Actor{}
	}
	var f [3 * nMember]string
	if !refObject(&s, f[:], 0, sh) || !whole(&s) {
		return Actor{}
	}
	pick := func(lo, hi int) string {
		for _, base := range [...]int{0, mUser, mMember} {
			if v := first(f[base+lo : base+hi]...); v != "" {
				return v
			}
		}
		return ""
	}
	return Actor{
		ID:    pick(mTargetMemberID, mTargetEmail),
		Email: pick(mTargetEmail, mTargetName),
		Name:  pick(mTargetName, nMember),
	}
}

// refMemberSlot is the slot of a member-changed field, -1 for other keys
// (and, in a target object, for id and name).
func refMemberSlot(key []byte, sh shape) int {
	switch string(key) {
	case "targetMemberId":
		return mTargetMemberID
	case "memberId":
		return mMemberID
	case "userId":
		return mUserID
	case "targetEmail":
		return mTargetEmail
	case "userEmail":
		return mUserEmail
	case "email":
		return mEmail
	case "targetName":
		return mTargetName
	case "userName":
		return mUserName
	case "id":
		if sh != targetShape {
			return mID
		}
	case "name":
		if sh != targetShape {
			return mName
		}
	}
	return -1
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
