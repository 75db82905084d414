package transform

import (
	"strings"

	"github.com/pigment-siem/pipeline/internal/event"
)

// cimModel is the Splunk CIM data model an event type feeds, which sets the
// CIM fields AppendHEC computes beyond those every event gets.
type cimModel uint8

const (
	cimNone           cimModel = iota // only the common fields (app, user, src, dest, ...)
	cimAuthentication                 // action from the outcome (success, failure)
	cimChange                         // change_type, object_category, object, action, status, src_user
)

// objectOf says which fields of an Event name what an event type changes:
// CIM object, and for member events also CIM user and ECS user.target.
type objectOf uint8

const (
	objNone   objectOf = iota
	objMember          // TargetEmail (else TargetID); CIM user and ECS user.target too
	objApp             // AppName, else AppID
	objBlock           // BlockName, else BlockID
)

// ecsClass is the ECS categorisation of an event type: category and type
// are JSON arrays of ECS allowed values; name is the first category, used
// as CEF cat.
type ecsClass struct{ name, category, typ string }

// class is how the formats categorise one event type.
type class struct {
	ecs            ecsClass
	model          cimModel
	changeType     string // CIM change_type
	objectCategory string // CIM object_category
	action         string // CIM action of a change: created, deleted, modified or read
	object         objectOf
	notice         bool // noticeType of this type's name
}

// classRows is the one table of event types, in both vocabularies (the
// described name first, then the public one where it differs; see
// internal/pigmentsim/kinds.go), read by AppendHEC (CIM), AppendECS and
// AppendCEF (ECS). The README's "### Formats" shows it as a table.
//
// CIM follows the Authentication and Change data models: logins carry
// their outcome as action; member, API key, group and access-right changes
// are change_type AAA; a deactivation is "deleted" (the account leaves use,
// as Splunk's Deleted_Accounts dataset counts it). ECS follows Elastic's
// integrations for SaaS audit logs (Okta, GitHub): a deactivation is
// iam user+change there (the user still exists); an export is file+access.
// Imports and exports are changes of type import and export to a block
// (object_category block): an import modifies the block's data, an export
// reads it (CIM read, as ECS access), so neither counts as "created".
// Types missing here: see classOf and ecsCategory.
var classRows = [...]struct {
	types          string // space-separated
	ecsCat, ecsTyp string // comma-separated ECS values
	model          cimModel
	changeType     string
	objectCategory string
	action         string
	object         objectOf
}{
	{"UserLoggedIn", "authentication,session", "start", cimAuthentication, "", "", "", objNone},
	{"UserLoggedOut", "authentication,session", "end", cimNone, "", "", "", objNone},
	{"SupportSessionStarted", "session", "start", cimNone, "", "", "", objNone},
	{"ApplicationAccessed", "web", "access", cimNone, "", "", "", objNone},
	{"MemberInvited UserInvited", "iam", "user,creation", cimChange, "AAA", "user", "created", objMember},
	{"MemberDeactivated UserDeactivated", "iam", "user,change", cimChange, "AAA", "user", "deleted", objMember},
	{"UserReactivated", "iam", "user,change", cimChange, "AAA", "user", "modified", objMember},
	{"UserPasswordChanged", "iam", "user,change", cimChange, "AAA", "user", "modified", objMember},
	{"RoleChanged UserAccountTypeUpdated", "iam", "user,change", cimChange, "AAA", "user", "modified", objMember},
	{"APIKeyCreated", "iam", "admin,creation", cimChange, "AAA", "api_key", "created", objNone},
	{"APIKeyRevoked", "iam", "admin,deletion", cimChange, "AAA", "api_key", "deleted", objNone},
	{"AccessRightsChanged PermissionsChanged", "iam", "admin,change", cimChange, "AAA", "application", "modified", objApp},
	{"GroupCreated", "iam", "group,creation", cimChange, "AAA", "group", "created", objNone},
	{"GroupModified", "iam", "group,change", cimChange, "AAA", "group", "modified", objNone},
	{"GroupDeleted", "iam", "group,deletion", cimChange, "AAA", "group", "deleted", objNone},
	{"ApplicationCreated", "configuration", "creation", cimChange, "application", "application", "created", objApp},
	{"ApplicationDeleted", "configuration", "deletion", cimChange, "application", "application", "deleted", objApp},
	{"BlockCreated", "configuration", "creation", cimChange, "block", "block", "created", objBlock},
	{"BlockModified", "configuration", "change", cimChange, "block", "block", "modified", objBlock},
	{"BlockDeleted", "configuration", "deletion", cimChange, "block", "block", "deleted", objBlock},
	{"DataModified", "database", "change", cimChange, "block", "block", "modified", objBlock},
	{"ImportExecuted", "database", "change", cimChange, "import", "block", "modified", objBlock},
	{"ExportExecuted", "file", "access", cimChange, "export", "block", "read", objBlock},
}

// classes indexes classRows by event type, with the ECS arrays rendered
// as JSON once and whether the name is notable (see SyslogSeverity)
// worked out once. Looking a type up does not allocate.
var classes = func() map[string]*class {
	m := make(map[string]*class, 2*len(classRows))
	for _, r := range classRows {
		c := &class{
			ecs:   ecsClass{strings.SplitN(r.ecsCat, ",", 2)[0], jsonArray(r.ecsCat), jsonArray(r.ecsTyp)},
			model: r.model, changeType: r.changeType, objectCategory: r.objectCategory,
			action: r.action, object: r.object,
		}
		for _, t := range strings.Fields(r.types) {
			c := *c // each name its own copy: notice depends on the name
			c.notice = noticeType(t)
			m[t] = &c
		}
	}
	return m
}()

// jsonArray renders comma-separated plain words as a JSON array of strings.
func jsonArray(words string) string {
	return `["` + strings.ReplaceAll(words, ",", `","`) + `"]`
}

// classOf is the row of ev's type in classRows, nil for alerts and for
// types the table does not know. Event types are open strings: an unknown
// type gets no CIM change or authentication fields (nothing is invented)
// and an ECS categorisation guessed from its name (see ecsCategory).
func classOf(ev *event.Event) *class {
	if ev.Kind == event.KindAlert {
		return nil
	}
	return classes[ev.Type]
}

// ecsCategory maps ev to ECS event.category and event.type: by classRows
// for known event types; alerts are intrusion_detection/info.
//
// Other (new) types are classified by parts of their names, as Elastic's
// GitHub audit integration guesses event.type from an action's verb:
// Login/Logout/SignIn -> authentication; Group -> iam+group; User, Member,
// Role, Permission, Access, APIKey -> iam; Block, Application, Board, View,
// Workspace -> configuration; Data, Import, Export -> database; the verb
// suffix sets the type (Created/Invited/Added -> creation, Deleted/Removed/
// Revoked -> deletion, Modified/Changed/Updated/...ed -> change, Accessed/
// Viewed/Exported -> access), kept only where ECS expects it for the
// category, else info. Without a recognised part, event.category is
// omitted and event.type is ["info"], as Elastic's Okta integration leaves
// an event type missing from its table uncategorised: a wrong category
// would put the event in dashboards and rules where it does not belong.
func ecsCategory(ev *event.Event) ecsClass { return ecsClassOf(ev, classOf(ev)) }

// ecsClassOf is ecsCategory for an event whose classOf is c.
func ecsClassOf(ev *event.Event, c *class) ecsClass {
	switch {
	case ev.Kind == event.KindAlert:
		return ecsClass{"intrusion_detection", `["intrusion_detection"]`, `["info"]`}
	case c != nil:
		return c.ecs
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
