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
	var m Member
	for i, b := range [...][]byte{target, metadata, payload} {
		if m = memberOf(b, i == 0); m.names() {
			break
		}
	}
	return m.actor()
}

// memberOf reads b, an object, into a Member (see Member.Read); a value
// that is not an object, or is not valid JSON, names no one.
func memberOf(b []byte, inTarget bool) Member {
	sh := memberShape
	if inTarget {
		sh = targetShape
	}
	var m Member
	s := jsonscan.Scanner{B: b}
	if s.SkipSpace(); s.Peek() != '{' || m.c.object(&s, sh, 0, 0) != nil || !whole(&s) {
		return Member{}
	}
	return m
}
