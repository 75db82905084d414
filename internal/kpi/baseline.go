package kpi

import "slices"

// The event types the KPIs count, in both vocabularies: the description's
// ("RoleChanged", ...) and the names Pigment's public documentation
// confirms ("UserAccountTypeUpdated", ...). The weekly report counts its
// sections with the same lists (internal/report/sections_types.go), so a
// KPI and the report's section about it never disagree on what a login or
// a change is.
var (
	TypesLogin        = []string{"UserLoggedIn"}
	TypesBlockChange  = []string{"BlockCreated", "BlockModified", "BlockDeleted"}
	TypesAppChange    = []string{"ApplicationCreated", "ApplicationDeleted"}
	TypesAccountType  = []string{"RoleChanged", "UserAccountTypeUpdated"}
	TypesAccessRights = []string{"AccessRightsChanged", "PermissionsChanged"}
	TypesKeyCreated   = []string{"APIKeyCreated", "ApiKeyCreated"}
	TypesKeyRevoked   = []string{"APIKeyRevoked", "ApiKeyRevoked"}
	TypesSupport      = []string{"SupportSessionStarted"}
	TypesImport       = []string{"ImportExecuted"}
	TypesExport       = []string{"ExportExecuted"}
)

// TypesChange are the changes the change volume counts: block and
// application changes.
var TypesChange = slices.Concat(TypesBlockChange, TypesAppChange)

// TypesSecurity are the weekly check's security events: account-type and
// role changes, access rights, API keys and support sessions.
var TypesSecurity = slices.Concat(TypesAccountType, TypesAccessRights, TypesKeyCreated, TypesKeyRevoked, TypesSupport)

// TypesOperation are the data operations whose failures make the API error
// rate: imports and exports, which Pigment's import and export APIs and
// connectors run, and whose events carry a status.
var TypesOperation = slices.Concat(TypesImport, TypesExport)

// BaselineWeeks is how many weeks before the judged one the change
// volume's baseline averages (and the report's trend shows).
const BaselineWeeks = 4

// ChangeTolerance is how far past its baseline a week's change volume may
// go: the seed's "< baseline + 20 %".
const ChangeTolerance = 0.20

// Week is what the baseline needs of one week: whether the source holds it
// at all (Events > 0) and its change volume.
type Week struct {
	Events  int64 // every event: 0 means the source does not hold the week
	Changes int64
}

// Verdict is a change volume judged against its baseline.
type Verdict struct {
	Weeks    int     // previous weeks the source holds, averaged
	Baseline float64 // their mean change volume
	Limit    float64 // Baseline plus ChangeTolerance
	Over     bool    // the volume is past Limit
}

// JudgeVolume judges a week's change volume against the mean of the
// previous weeks the source holds (a week without any event is before the
// archive began, not a quiet week, and is left out); with no such week
// there is no baseline and nothing is over.
func JudgeVolume(current int64, previous []Week) Verdict {
	var v Verdict
	var sum int64
	for _, w := range previous {
		if w.Events > 0 {
			v.Weeks++
			sum += w.Changes
		}
	}
	if v.Weeks == 0 {
		return v
	}
	v.Baseline = float64(sum) / float64(v.Weeks)
	v.Limit = v.Baseline * (1 + ChangeTolerance)
	v.Over = float64(current) > v.Limit
	return v
}
