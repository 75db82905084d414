package actor

import "github.com/pigment-siem/pipeline/internal/jsonscan"

// Target is the one rule for the member an event changes: who was
// invited, deactivated, reactivated, or given another role or account type
// (the archive and reports read it the same way). Such events name the
// member in the described envelope's metadata{} or target{} and in the
// public envelope's payload{}, under several names:
//
//	public:    payload{"userId","userName","userEmail",...}  (UserAccountTypeUpdated)
//	           payload{"id","name","email"}                  (UserDeactivated, UserReactivated, UserInvited)
//	described: metadata{"targetMemberId","targetEmail","targetName",...}
//	           metadata{"memberId"|"userId"|"id","email"|"userEmail","name"|"userName"}
//	           target{"memberId",...,"applicationId",...}
//	also:      a nested "user" or "member" object of those names, in any of them
//
// The rule: the first of target, metadata and payload that names a member
// (an id or an email) gives all three fields, so two objects naming two
// people are never mixed. Within one object the id is the first present of
// targetMemberId, memberId, userId, id; the email of targetEmail,
// userEmail, email; the name of targetName, userName, name; direct fields
// before the nested "user", then "member". In target, "id" and "name" are
// the application's and are not read (a nested user's are). Values follow
// Parse's rules (only non-empty strings count); an object that is not one,
// or is not valid JSON, names no one.
//
// Target reads any event: an event that is not about a member may carry an
// "id" or "email" of something else in its payload, so callers read the
// target of member events only. Strings alias the arguments as in Parse.
func Target(target, metadata, payload []byte) Actor {
	if a := member(target, targetShape); a.ID != "" || a.Email != "" {
		return a
	}
	if a := member(metadata, memberShape); a.ID != "" || a.Email != "" {
		return a
	}
	return member(payload, memberShape)
}

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

// member reads b, an object, as a member changed with the keys of sh.
func member(b []byte, sh shape) Actor {
	s := jsonscan.Scanner{B: b}
	if s.SkipSpace(); s.Peek() != '{' {
		return Actor{}
	}
	var f [3 * nMember]string
	if !object(&s, f[:], 0, sh) || !whole(&s) {
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

// memberSlot is the slot of a member-changed field, -1 for other keys
// (and, in a target object, for id and name).
func memberSlot(key []byte, sh shape) int {
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
