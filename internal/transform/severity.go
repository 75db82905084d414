package transform

import (
	"cmp"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// RFC 5424 severities used by the mapping below.
const (
	sevCritical = 2
	sevError    = 3
	sevWarning  = 4
	sevNotice   = 5
	sevInfo     = 6
)

// SyslogSeverity returns the RFC 5424 severity (0-7) of ev, which sets the
// PRI of syslog and CEF lines; CEF and ECS severities derive from it (see
// cefSeverity).
//
//	record                                                  severity
//	alert "critical"                                        2 critical
//	alert "high"                                            3 error
//	alert "medium", or any other or no severity             4 warning
//	alert "low"                                             5 notice
//	alert "info"                                            6 informational
//	event with outcome "failure" (a failed login, ...)      4 warning
//	event changing privileges, credentials or access:      5 notice
//	  type containing Deleted, Deactivated, Revoked, Removed,
//	  Role, AccountType, Permission, AccessRights, APIKey/ApiKey,
//	  Password, SupportSession, or GroupModified
//	  (RoleChanged, UserAccountTypeUpdated, APIKeyCreated,
//	  BlockDeleted, SupportSessionStarted, ...)
//	any other event (logins, accesses, block and data changes)  6 informational
//
// Event types are open strings, so the mapping matches parts of names and
// new types get a sensible severity without a code change.
func SyslogSeverity(ev *event.Event) int { return syslogSeverity(ev, classOf(ev)) }

// syslogSeverity is SyslogSeverity for an event whose classOf is c: a
// known type's notability comes from the table, computed once.
func syslogSeverity(ev *event.Event, c *class) int {
	if ev.Kind == event.KindAlert {
		switch {
		case strings.EqualFold(ev.Severity, "critical"):
			return sevCritical
		case strings.EqualFold(ev.Severity, "high"):
			return sevError
		case strings.EqualFold(ev.Severity, "low"):
			return sevNotice
		case strings.EqualFold(ev.Severity, "info"):
			return sevInfo
		}
		return sevWarning
	}
	if ev.Outcome == "failure" {
		return sevWarning
	}
	if c != nil && c.notice || c == nil && noticeType(ev.Type) {
		return sevNotice
	}
	return sevInfo
}

// noticeType reports whether an event type's name makes it notable.
func noticeType(typ string) bool { return containsAny(typ, noticeParts[:]...) }

// noticeParts are the parts of event type names that make an event notable.
var noticeParts = [...]string{
	"Deleted", "Deactivated", "Revoked", "Removed", "Role", "AccountType",
	"Permission", "AccessRights", "APIKey", "ApiKey", "Password",
	"SupportSession", "GroupModified",
}

// cefSeverity maps a syslog severity to CEF's 0-10 scale (0-3 low, 4-6
// medium, 7-8 high, 9-10 very high). ECS event.severity of alerts uses the
// same numbers.
//
//	syslog  0-2  3  4  5  6  7
//	CEF     10   8  6  3  1  0
func cefSeverity(syslog int) int {
	switch {
	case syslog <= sevCritical:
		return 10
	case syslog == sevError:
		return 8
	case syslog == sevWarning:
		return 6
	case syslog == sevNotice:
		return 3
	case syslog == sevInfo:
		return 1
	}
	return 0
}

// actorLabel is how summaries name the actor: email, else name, else ID.
func actorLabel(ev *event.Event) string { return cmp.Or(ev.ActorEmail, ev.ActorName, ev.ActorID) }

// appendSummary appends a one-line human summary of ev, each value through
// esc (the escaping of the target format):
//
//	event: <type> by <actor>[ in <application>][ from <ip>][: failure]
//	alert: <title>, else "Alert <rule>"[ for <actor>]
//
// The literal pieces ("by", the defaults "Event", "unknown actor", ...)
// hold no byte any format escapes (TestSummaryLiteralsNeedNoEscaping), so
// they are appended as they are: escaping them was a third of the calls.
func appendSummary(dst []byte, ev *event.Event, esc func([]byte, string) []byte) []byte {
	if ev.Kind == event.KindAlert {
		if ev.Title != "" {
			return esc(dst, ev.Title)
		}
		dst = append(dst, "Alert "...)
		dst = escOr(dst, ev.Type, "unnamed", esc)
		if a := actorLabel(ev); a != "" {
			dst = append(dst, " for "...)
			dst = esc(dst, a)
		}
		return dst
	}
	dst = escOr(dst, ev.Type, "Event", esc)
	dst = append(dst, " by "...)
	dst = escOr(dst, actorLabel(ev), "unknown actor", esc)
	if app := cmp.Or(ev.AppName, ev.AppID); app != "" {
		dst = append(dst, " in "...)
		dst = esc(dst, app)
	}
	if ev.SourceIP != "" {
		dst = append(dst, " from "...)
		dst = esc(dst, ev.SourceIP)
	}
	if ev.Outcome == "failure" {
		dst = append(dst, ": failure"...)
	}
	return dst
}

// escOr appends v through esc, or the literal def when v is empty.
func escOr(dst []byte, v, def string, esc func([]byte, string) []byte) []byte {
	if v == "" {
		return append(dst, def...)
	}
	return esc(dst, v)
}
