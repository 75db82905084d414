package pigmentsim

import (
	"strconv"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// category groups event kinds that share a metadata layout.
type category uint8

const (
	catLogin category = iota
	catLogout
	catAppAccess
	catBlock
	catData
	catImport
	catExport
	catSupport
	catMember // invite, deactivate, reactivate, password change: payload id,name,email
	catRole
	catApp
	catAPIKey
	catAccess
	catGroup
)

// kind is one event type. described and public are its names in the two
// vocabularies; where only one vocabulary knows the event, both are equal
// (event types are open strings).
type kind struct {
	described, public string
	weight            int
	cat               category
	appScoped         bool // the event has a target application
}

// kinds is weighted toward logins, application accesses and block changes,
// like a real planning workspace.
var kinds = []kind{
	{"UserLoggedIn", "UserLoggedIn", 220, catLogin, false},
	{"UserLoggedOut", "UserLoggedOut", 80, catLogout, false},
	{"ApplicationAccessed", "ApplicationAccessed", 220, catAppAccess, true},
	{"BlockModified", "BlockModified", 170, catBlock, true},
	{"BlockCreated", "BlockCreated", 40, catBlock, true},
	{"BlockDeleted", "BlockDeleted", 12, catBlock, true},
	{"DataModified", "DataModified", 80, catData, true},
	{"ImportExecuted", "ImportExecuted", 30, catImport, true},
	{"ExportExecuted", "ExportExecuted", 30, catExport, true},
	{"SupportSessionStarted", "SupportSessionStarted", 3, catSupport, false},
	{"MemberInvited", "UserInvited", 6, catMember, false},
	{"MemberDeactivated", "UserDeactivated", 3, catMember, false},
	{"UserReactivated", "UserReactivated", 1, catMember, false},
	{"UserPasswordChanged", "UserPasswordChanged", 3, catMember, false},
	{"RoleChanged", "UserAccountTypeUpdated", 6, catRole, false},
	{"ApplicationCreated", "ApplicationCreated", 2, catApp, true},
	{"ApplicationDeleted", "ApplicationDeleted", 1, catApp, true},
	{"APIKeyCreated", "APIKeyCreated", 2, catAPIKey, false},
	{"APIKeyRevoked", "APIKeyRevoked", 2, catAPIKey, false},
	{"AccessRightsChanged", "AccessRightsChanged", 6, catAccess, true},
	{"GroupCreated", "GroupCreated", 2, catGroup, false},
	{"GroupModified", "GroupModified", 5, catGroup, false},
	{"PermissionsChanged", "PermissionsChanged", 5, catAccess, true},
}

// kindCum holds cumulative weights of kinds, for drawing a kind.
var kindCum, kindTotal = func() ([]int, int) {
	cum := make([]int, len(kinds))
	t := 0
	for i, k := range kinds {
		t += k.weight
		cum[i] = t
	}
	return cum, t
}()

func pickKind(n int) int {
	for i, c := range kindCum {
		if n < c {
			return i
		}
	}
	return len(kinds) - 1
}

var (
	userAgents = []string{
		`"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"`,
		`"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"`,
		`"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0"`,
		`"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"`,
	}
	authMethods    = []string{`"SSO"`, `"SSO"`, `"SSO"`, `"Password"`, `"Google"`}
	failureReasons = []string{`"InvalidCredentials"`, `"InvalidCredentials"`, `"MfaFailed"`, `"AccountLocked"`, `"SsoAssertionRejected"`}
	changeTypes    = []string{`"Formula"`, `"Properties"`, `"Dimensions"`, `"Formula"`, `"Name"`}
	dataSources    = []string{`"Grid"`, `"Grid"`, `"Import"`, `"API"`}
	importSources  = []string{`"CSV"`, `"API"`, `"Connector"`}
	exportFormats  = []string{`"CSV"`, `"XLSX"`, `"CSV"`}
	channels       = []string{`"UI"`, `"API"`, `"Scheduled"`}
	apiKeyTypes    = []string{`"AuditLogs"`, `"Metadata"`, `"Import"`, `"Export"`}
	permissions    = []string{`"Read"`, `"Write"`, `"Admin"`, `"None"`}
	groupNames     = []string{`"Finance Team"`, `"FP&A Builders"`, `"Sales Ops"`, `"HR Viewers"`, `"Direction Générale"`, `"External Auditors"`}
	logoutReasons  = []string{`"UserInitiated"`, `"SessionExpired"`, `"UserInitiated"`}
)

// appendBody appends the metadata (described) or payload (public) object of a
// generated event.
func (w *workspace) appendBody(b []byte, d *draw, public bool) []byte {
	r := &d.r
	m := &w.members[d.actor]
	app := &w.apps[d.app]
	blk := &app.blocks[d.blk]
	switch kinds[d.kind].cat {
	case catLogin:
		b = append(b, `{"outcome":`...)
		if d.failed {
			b = appendKV(b, `"failure","failureReason":`, pick(r, failureReasons))
		} else {
			b = append(b, `"success"`...)
		}
		b = appendKV(b, `,"authenticationMethod":`, pick(r, authMethods))
		b = append(b, `,"ipAddress":`...)
		b = d.appendIP(b, m)
		b = appendKV(b, `,"country":"`, d.country)
		b = append(b, `","sessionId":`...)
		b = appendRandUUID(b, r)
		b = appendKV(b, `,"userAgent":`, pick(r, userAgents))
	case catLogout:
		b = appendKV(b, `{"reason":`, pick(r, logoutReasons))
		b = append(b, `,"sessionId":`...)
		b = appendRandUUID(b, r)
		b = append(b, `,"sessionDurationSeconds":`...)
		b = strconv.AppendInt(b, int64(60+r.intn(8*3600)), 10)
		b = append(b, `,"ipAddress":`...)
		b = d.appendIP(b, m)
	case catAppAccess:
		b = appendKV(b, `{"accessType":`, pick(r, []string{`"Board"`, `"Block"`, `"Application"`}))
		b = append(b, `,"ipAddress":`...)
		b = d.appendIP(b, m)
		b = appendKV(b, `,"country":"`, d.country)
		b = appendKV(b, `","userAgent":`, pick(r, userAgents))
	case catBlock:
		b = appendBlockRef(b, blk)
		b = appendKV(b, `,"changeType":`, pick(r, changeTypes))
		b = append(b, `,"changeCount":`...)
		b = strconv.AppendInt(b, int64(1+r.intn(40)), 10)
		b = append(b, `,"dimensions":`...)
		b = strconv.AppendInt(b, int64(len(blk.dimensions)), 10)
	case catData:
		b = appendBlockRef(b, blk)
		b = append(b, `,"cellsModified":`...)
		b = strconv.AppendInt(b, int64(1+r.intn(5000)), 10)
		b = appendKV(b, `,"source":`, pick(r, dataSources))
		b = append(b, `,"scenario":"Base"`...)
	case catImport:
		b = appendBlockRef(b, blk)
		b = append(b, `,"importId":`...)
		b = appendRandUUID(b, r)
		b = append(b, `,"rowsImported":`...)
		b = strconv.AppendInt(b, int64(r.intn(250000)), 10)
		b = appendKV(b, `,"source":`, pick(r, importSources))
		b = appendKV(b, `,"status":`, pick(r, []string{`"Completed"`, `"Completed"`, `"Completed"`, `"Failed"`}))
	case catExport:
		b = appendBlockRef(b, blk)
		b = append(b, `,"exportId":`...)
		b = appendRandUUID(b, r)
		b = appendKV(b, `,"format":`, pick(r, exportFormats))
		b = append(b, `,"rowsExported":`...)
		b = strconv.AppendInt(b, int64(r.intn(500000)), 10)
		b = appendKV(b, `,"channel":`, pick(r, channels))
	case catSupport:
		b = append(b, `{"supportAgent":"support-agent-`...)
		b = strconv.AppendInt(b, int64(1+r.intn(40)), 10)
		b = append(b, `@pigment.com","ticketId":"ZD-`...)
		b = strconv.AppendInt(b, int64(100000+r.intn(900000)), 10)
		b = append(b, `","accessLevel":"ReadOnly","durationMinutes":`...)
		b = strconv.AppendInt(b, int64(15+r.intn(240)), 10)
		b = append(b, `,"ipAddress":`...)
		b = appendIPv4(b, uint32(r.next()))
	case catMember:
		t := &w.members[d.target]
		if public {
			b = appendKV(b, `{"id":`, t.qID)
			b = appendKV(b, `,"name":`, t.qName)
			b = appendKV(b, `,"email":`, t.qEmail)
		} else {
			b = appendTargetMember(b, t)
			b = append(b, `,"accountType":`...)
			b = jsonenc.AppendString(b, t.accountType)
		}
	case catRole:
		t := &w.members[d.target]
		prev, next := accountTypes[r.intn(len(accountTypes))], accountTypes[r.intn(len(accountTypes))]
		if public {
			b = appendKV(b, `{"userId":`, t.qID)
			b = appendKV(b, `,"userName":`, t.qName)
			b = appendKV(b, `,"userEmail":`, t.qEmail)
			b = append(b, `,"previousAccountType":`...)
			b = jsonenc.AppendString(b, prev)
			b = append(b, `,"newAccountType":`...)
		} else {
			b = appendTargetMember(b, t)
			b = append(b, `,"previousRole":`...)
			b = jsonenc.AppendString(b, prev)
			b = append(b, `,"newRole":`...)
		}
		b = jsonenc.AppendString(b, next)
	case catApp:
		b = appendKV(b, `{"applicationId":`, app.qID)
		b = appendKV(b, `,"applicationName":`, app.qName)
		b = append(b, `,"blockCount":`...)
		b = strconv.AppendInt(b, int64(len(app.blocks)), 10)
		b = append(b, `,"fromTemplate":false`...)
	case catAPIKey:
		b = append(b, `{"apiKeyId":`...)
		b = appendRandUUID(b, r)
		b = append(b, `,"apiKeyName":"integration-`...)
		b = strconv.AppendInt(b, int64(r.intn(100)), 10)
		b = appendKV(b, `","apiKeyType":`, pick(r, apiKeyTypes))
		b = append(b, `,"expiresInDays":`...)
		b = strconv.AppendInt(b, int64(30*(1+r.intn(12))), 10)
	case catAccess:
		b = appendKV(b, `{"principalType":"Group","principalName":`, pick(r, groupNames))
		b = appendKV(b, `,"previousPermission":`, pick(r, permissions))
		b = appendKV(b, `,"newPermission":`, pick(r, permissions))
		b = appendKV(b, `,"scope":"Application","blockId":`, blk.qID)
	case catGroup:
		b = append(b, `{"groupId":`...)
		b = appendRandUUID(b, r)
		b = appendKV(b, `,"groupName":`, pick(r, groupNames))
		b = append(b, `,"membersAdded":`...)
		b = strconv.AppendInt(b, int64(r.intn(8)), 10)
		b = append(b, `,"membersRemoved":`...)
		b = strconv.AppendInt(b, int64(r.intn(3)), 10)
	}
	return append(b, '}')
}

func appendBlockRef(b []byte, blk *block) []byte {
	b = appendKV(b, `{"blockId":`, blk.qID)
	b = appendKV(b, `,"blockName":`, blk.qName)
	b = appendKV(b, `,"blockType":"`, blk.typ)
	return append(b, '"')
}

func appendTargetMember(b []byte, t *member) []byte {
	b = appendKV(b, `{"targetMemberId":`, t.qID)
	b = appendKV(b, `,"targetEmail":`, t.qEmail)
	b = append(b, `,"targetName":`...)
	return append(b, t.qName...)
}

// pick returns one element of list, drawn from r.
func pick(r *stream, list []string) string {
	return list[r.intn(len(list))]
}

// appendRandUUID appends a quoted version-4 UUID drawn from r.
func appendRandUUID(b []byte, r *stream) []byte {
	hi, lo := r.uuid()
	return appendQuotedUUID(b, hi, lo)
}
