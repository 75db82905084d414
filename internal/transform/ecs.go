package transform

import (
	"cmp"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// ECSVersion is the Elastic Common Schema version of AppendECS documents.
const ECSVersion = "8.17.0"

// ecsClass is the ECS categorisation of an event type: category and type
// are JSON arrays of ECS allowed values; name is the first category, used
// as CEF cat.
type ecsClass struct{ name, category, typ string }

// ecsCategory maps an event type to ECS event.category and event.type:
//
//	event type                                  category                  type
//	UserLoggedIn                                authentication, session   start
//	UserLoggedOut                               authentication, session   end
//	SupportSessionStarted                       session                   start
//	ApplicationAccessed                         web                       access
//	BlockCreated/Modified/Deleted               configuration             creation/change/deletion
//	ApplicationCreated/Deleted                  configuration             creation/deletion
//	DataModified, ImportExecuted                database                  change
//	ExportExecuted                              database                  access
//	MemberInvited, UserInvited                  iam                       user, creation
//	MemberDeactivated, UserDeactivated,
//	UserReactivated, UserPasswordChanged,
//	RoleChanged, UserAccountTypeUpdated         iam                       user, change
//	APIKeyCreated/Revoked                       iam                       admin, creation/deletion
//	AccessRightsChanged, PermissionsChanged     iam                       admin, change
//	GroupCreated/Modified/Deleted               iam                       group, creation/change/deletion
//	alerts (any rule)                           intrusion_detection       info
//
// Other (new) types are classified by parts of their names: Login/Logout/
// SignIn -> authentication; Group -> iam+group; User, Member, Role,
// Permission, Access, APIKey -> iam; Block, Application, Board, View,
// Workspace -> configuration; Data, Import, Export -> database; the verb
// suffix sets the type (Created/Invited/Added -> creation, Deleted/Removed/
// Revoked -> deletion, Modified/Changed/Updated/...ed -> change, Accessed/
// Viewed/Exported -> access), kept only where ECS expects it for the
// category, else info. Without a recognised part, event.category is omitted
// and event.type is ["info"].
func ecsCategory(ev *event.Event) ecsClass {
	if ev.Kind == event.KindAlert {
		return ecsClass{"intrusion_detection", `["intrusion_detection"]`, `["info"]`}
	}
	switch ev.Type {
	case "UserLoggedIn":
		return ecsClass{"authentication", `["authentication","session"]`, `["start"]`}
	case "UserLoggedOut":
		return ecsClass{"authentication", `["authentication","session"]`, `["end"]`}
	case "SupportSessionStarted":
		return ecsClass{"session", `["session"]`, `["start"]`}
	case "ApplicationAccessed":
		return ecsClass{"web", `["web"]`, `["access"]`}
	case "ExportExecuted":
		return ecsClass{"database", `["database"]`, `["access"]`}
	case "MemberInvited", "UserInvited":
		return ecsClass{"iam", `["iam"]`, `["user","creation"]`}
	case "MemberDeactivated", "UserDeactivated", "UserReactivated", "UserPasswordChanged",
		"RoleChanged", "UserAccountTypeUpdated":
		return ecsClass{"iam", `["iam"]`, `["user","change"]`}
	case "APIKeyCreated":
		return ecsClass{"iam", `["iam"]`, `["admin","creation"]`}
	case "APIKeyRevoked":
		return ecsClass{"iam", `["iam"]`, `["admin","deletion"]`}
	case "AccessRightsChanged", "PermissionsChanged":
		return ecsClass{"iam", `["iam"]`, `["admin","change"]`}
	}
	return guessClass(ev.Type)
}

// guessClass categorises an event type by parts of its name (see ecsCategory).
func guessClass(typ string) ecsClass {
	verb := "info"
	switch {
	case hasAnySuffix(typ, "Created", "Invited", "Added"):
		verb = "creation"
	case hasAnySuffix(typ, "Deleted", "Removed", "Revoked"):
		verb = "deletion"
	case hasAnySuffix(typ, "Accessed", "Viewed", "Exported"):
		verb = "access"
	case hasAnySuffix(typ, "Modified", "Changed", "Updated", "Executed", "ed"):
		verb = "change"
	}
	switch {
	case containsAny(typ, "Login", "LoggedIn", "Logout", "LoggedOut", "SignIn", "SignOut"):
		return ecsClass{"authentication", `["authentication"]`, `["info"]`}
	case containsAny(typ, "Group"):
		return ecsClass{"iam", `["iam"]`, pick(verb, `["group","creation"]`, `["group","deletion"]`, `["group","change"]`, `["group","info"]`, `["group","info"]`)}
	case containsAny(typ, "User", "Member", "Role", "Permission", "Access", "APIKey", "ApiKey"):
		return ecsClass{"iam", `["iam"]`, pick(verb, `["creation"]`, `["deletion"]`, `["change"]`, `["info"]`, `["info"]`)}
	case containsAny(typ, "Block", "Application", "Board", "View", "Workspace"):
		return ecsClass{"configuration", `["configuration"]`, pick(verb, `["creation"]`, `["deletion"]`, `["change"]`, `["access"]`, `["info"]`)}
	case containsAny(typ, "Data", "Import", "Export"):
		return ecsClass{"database", `["database"]`, pick(verb, `["change"]`, `["change"]`, `["change"]`, `["access"]`, `["info"]`)}
	}
	return ecsClass{"", "", `["info"]`}
}

// pick chooses the type array for verb among those of creation, deletion,
// change, access and info.
func pick(verb, creation, deletion, change, access, info string) string {
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

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func containsAny(s string, parts ...string) bool {
	for _, x := range parts {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// AppendECS appends ev as one Elastic Common Schema document (no bulk
// action line, no newline):
//
//	@timestamp        event time (else ingestion time; omitted when both are
//	                  zero, and a data stream then rejects the document: set
//	                  ev.Ingested to the record time for such records)
//	ecs.version       ECSVersion
//	event.kind        "event", or "alert" for alerts
//	event.id/action   eventId / eventType (alerts: id / rule)
//	event.category/type  see ecsCategory
//	event.outcome     success, failure or unknown (omitted for alerts)
//	event.created     ingestionTimestamp (when Pigment's audit pipeline saw it)
//	event.ingested    ingestionTimestamp too, the time it reached Pigment's
//	                  audit store; an ingest pipeline may overwrite it
//	event.provider    "pigment"; event.module "pigment"
//	event.dataset     "pigment.audit", "pigment.alert" for alerts
//	event.severity    alerts: 0-10 as CEF (critical 10, high 8, medium 6, low 3)
//	user.id/email/name, related.user [id, email]
//	source.ip, related.ip   only when a valid IP address
//	source.geo.country_iso_code  only when a 2-letter code (upper-cased)
//	rule.name, threat.technique.id   alerts: rule, mitre
//	message           a one-line summary (see appendSummary)
//	pigment.application.id/name
//	pigment.event     the original event JSON (alerts: pigment.alert), as
//	                  HEC's event (see appendRaw)
//
// The index template should map pigment.event and pigment.alert as
// "flattened" (or disable them): payloads vary by event type and would
// otherwise cause mapping conflicts.
func AppendECS(dst []byte, ev *event.Event) []byte {
	alert := ev.Kind == event.KindAlert
	cls := ecsCategory(ev)
	dst = append(dst, '{')
	if t := eventTime(ev); !t.IsZero() {
		dst = append(dst, `"@timestamp":"`...)
		dst = appendTime(dst, t)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"ecs":{"version":"`+ECSVersion+`"},"event":{"kind":`...)
	if alert {
		dst = append(dst, `"alert"`...)
	} else {
		dst = append(dst, `"event"`...)
	}
	dst = appendMember(dst, "id", ev.ID)
	dst = appendMember(dst, "action", ev.Type)
	if cls.category != "" {
		dst = append(dst, `,"category":`...)
		dst = append(dst, cls.category...)
	}
	dst = append(dst, `,"type":`...)
	dst = append(dst, cls.typ...)
	if !alert {
		dst = append(dst, `,"outcome":"`...)
		dst = append(dst, cmp.Or(ev.Outcome, "unknown")...)
		dst = append(dst, '"')
	}
	if !ev.Ingested.IsZero() && ev.Ingested.Year() >= 0 && ev.Ingested.Year() <= 9999 {
		dst = append(dst, `,"created":"`...)
		dst = appendTime(dst, ev.Ingested)
		dst = append(dst, `","ingested":"`...)
		dst = appendTime(dst, ev.Ingested)
		dst = append(dst, '"')
	}
	if alert {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.alert","severity":`...)
		dst = strconv.AppendInt(dst, int64(cefSeverity(SyslogSeverity(ev))), 10)
	} else {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.audit"`...)
	}
	dst = append(dst, '}')
	dst = appendECSEntities(dst, ev)
	if alert {
		dst = append(dst, `,"rule":{"name":`...)
		dst = jsonenc.AppendString(dst, ev.Type)
		dst = append(dst, '}')
		if ev.Mitre != "" {
			dst = append(dst, `,"threat":{"framework":"MITRE ATT&CK","technique":{"id":[`...)
			dst = jsonenc.AppendString(dst, ev.Mitre)
			dst = append(dst, `]}}`...)
		}
	}
	dst = append(dst, `,"message":"`...)
	dst = appendSummary(dst, ev, jsonenc.AppendText)
	dst = append(dst, `","pigment":{`...)
	if ev.AppID != "" || ev.AppName != "" {
		dst = append(dst, `"application":{`...)
		mark := len(dst)
		dst = appendMember(dst, "id", ev.AppID)
		dst = appendMember(dst, "name", ev.AppName)
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, `},`...)
	}
	if alert {
		dst = append(dst, `"alert":`...)
	} else {
		dst = append(dst, `"event":`...)
	}
	dst = appendRaw(dst, ev.Raw)
	return append(dst, '}', '}')
}

// appendECSEntities appends user, source and related.
func appendECSEntities(dst []byte, ev *event.Event) []byte {
	if ev.ActorID != "" || ev.ActorEmail != "" || ev.ActorName != "" {
		dst = append(dst, `,"user":{`...)
		mark := len(dst)
		dst = appendMember(dst, "id", ev.ActorID)
		dst = appendMember(dst, "email", ev.ActorEmail)
		dst = appendMember(dst, "name", ev.ActorName)
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, '}')
	}
	ip, ipOK := validIP(ev.SourceIP)
	cc := len(ev.Country) == 2 && isLetter(ev.Country[0]) && isLetter(ev.Country[1])
	if ipOK || cc {
		dst = append(dst, `,"source":{`...)
		if ipOK {
			dst = append(dst, `"ip":"`...)
			dst = ip.AppendTo(dst)
			dst = append(dst, '"')
			if cc {
				dst = append(dst, ',')
			}
		}
		if cc {
			dst = append(dst, `"geo":{"country_iso_code":"`...)
			dst = append(dst, upper(ev.Country[0]), upper(ev.Country[1]), '"', '}')
		}
		dst = append(dst, '}')
	}
	if ev.ActorID == "" && ev.ActorEmail == "" && !ipOK {
		return dst
	}
	dst = append(dst, `,"related":{`...)
	if ev.ActorID != "" || ev.ActorEmail != "" {
		dst = append(dst, `"user":[`...)
		mark := len(dst)
		for _, u := range [...]string{ev.ActorID, ev.ActorEmail} {
			if u != "" {
				dst = append(dst, ',')
				dst = jsonenc.AppendString(dst, u)
			}
		}
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, ']')
		if ipOK {
			dst = append(dst, ',')
		}
	}
	if ipOK {
		dst = append(dst, `"ip":["`...)
		dst = ip.AppendTo(dst)
		dst = append(dst, `"]`...)
	}
	return append(dst, '}')
}

// validIP parses s when it is an IP address without a zone.
func validIP(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil && ip.Zone() == ""
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func upper(c byte) byte { return c &^ 0x20 }
