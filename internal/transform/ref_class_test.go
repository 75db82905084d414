// A copy of the formats as of commit b1e3385, every function renamed
// old*: the reference that the differential tests and the old-vs-new
// benchmarks compare the current formats with. Generated; do not edit.
package transform

import (
	"cmp"
	"github.com/pigment-siem/pipeline/internal/event"
	"strings"
)

func oldSyslogSeverity(ev *event.Event) int {
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
	for _, part := range noticeParts {
		if strings.Contains(ev.Type, part) {
			return sevNotice
		}
	}
	return sevInfo
}

func oldCefSeverity(syslog int) int {
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

func oldActorLabel(ev *event.Event) string { return cmp.Or(ev.ActorEmail, ev.ActorName, ev.ActorID) }

func oldAppendSummary(dst []byte, ev *event.Event, esc func([]byte, string) []byte) []byte {
	if ev.Kind == event.KindAlert {
		if ev.Title != "" {
			return esc(dst, ev.Title)
		}
		dst = esc(dst, "Alert ")
		dst = esc(dst, cmp.Or(ev.Type, "unnamed"))
		if a := oldActorLabel(ev); a != "" {
			dst = esc(dst, " for ")
			dst = esc(dst, a)
		}
		return dst
	}
	dst = esc(dst, cmp.Or(ev.Type, "Event"))
	dst = esc(dst, " by ")
	dst = esc(dst, cmp.Or(oldActorLabel(ev), "unknown actor"))
	if app := cmp.Or(ev.AppName, ev.AppID); app != "" {
		dst = esc(dst, " in ")
		dst = esc(dst, app)
	}
	if ev.SourceIP != "" {
		dst = esc(dst, " from ")
		dst = esc(dst, ev.SourceIP)
	}
	if ev.Outcome == "failure" {
		dst = esc(dst, ": failure")
	}
	return dst
}

func oldClassOf(ev *event.Event) *class {
	if ev.Kind == event.KindAlert {
		return nil
	}
	return classes[ev.Type]
}

func oldEcsCategory(ev *event.Event) ecsClass { return oldEcsClassOf(ev, oldClassOf(ev)) }

func oldEcsClassOf(ev *event.Event, c *class) ecsClass {
	switch {
	case ev.Kind == event.KindAlert:
		return ecsClass{"intrusion_detection", `["intrusion_detection"]`, `["info"]`}
	case c != nil:
		return c.ecs
	}
	return oldGuessClass(ev.Type)
}

func oldGuessClass(typ string) ecsClass {
	verb := "info"
	switch {
	case oldHasAnySuffix(typ, "Created", "Invited", "Added"):
		verb = "creation"
	case oldHasAnySuffix(typ, "Deleted", "Removed", "Revoked"):
		verb = "deletion"
	case oldHasAnySuffix(typ, "Accessed", "Viewed", "Exported"):
		verb = "access"
	case oldHasAnySuffix(typ, "Modified", "Changed", "Updated", "Executed", "ed"):
		verb = "change"
	}
	switch {
	case oldContainsAny(typ, "Login", "LoggedIn", "Logout", "LoggedOut", "SignIn", "SignOut"):
		return ecsClass{"authentication", `["authentication"]`, `["info"]`}
	case oldContainsAny(typ, "Group"):
		return ecsClass{"iam", `["iam"]`, oldPick(verb, `["group","creation"]`, `["group","deletion"]`, `["group","change"]`, `["group","info"]`, `["group","info"]`)}
	case oldContainsAny(typ, "User", "Member", "Role", "Permission", "Access", "APIKey", "ApiKey"):
		return ecsClass{"iam", `["iam"]`, oldPick(verb, `["creation"]`, `["deletion"]`, `["change"]`, `["info"]`, `["info"]`)}
	case oldContainsAny(typ, "Block", "Application", "Board", "View", "Workspace"):
		return ecsClass{"configuration", `["configuration"]`, oldPick(verb, `["creation"]`, `["deletion"]`, `["change"]`, `["access"]`, `["info"]`)}
	case oldContainsAny(typ, "Data", "Import", "Export"):
		return ecsClass{"database", `["database"]`, oldPick(verb, `["change"]`, `["change"]`, `["change"]`, `["access"]`, `["info"]`)}
	}
	return ecsClass{"", "", `["info"]`}
}

func oldPick(verb, creation, deletion, change, access, info string) string {
	switch verb {
	case "creation":
		return creation
	case "deletion":
		return deletion
	case "change":
		return change
	case "access":
		return access
	}
	return info
}

func oldHasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func oldContainsAny(s string, parts ...string) bool {
	for _, x := range parts {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
