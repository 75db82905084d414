package report

import (
	"slices"
	"strings"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// The event types each section counts, in one place, in both vocabularies:
// the description's ("RoleChanged", "MemberInvited", ...) and the names
// Pigment's public documentation confirms ("UserAccountTypeUpdated",
// "UserInvited", ...; see internal/pigmentsim/kinds.go). Event types are
// open strings: a type in neither list is counted only where a section
// counts every event (daily activity, scope). internal/transform and
// internal/detect classify types for their own purposes (ECS categories,
// rules with patterns) and export no list a query can take, so the lists
// live here and are passed to SQL as text[] parameters; those the
// reliability KPIs count too are internal/kpi's.
var (
	typesLogin        = kpi.TypesLogin
	typesBlockChange  = kpi.TypesBlockChange
	typesAppChange    = kpi.TypesAppChange
	typesAccountType  = kpi.TypesAccountType
	typesInvite       = []string{"MemberInvited", "UserInvited"}
	typesDeactivation = []string{"MemberDeactivated", "UserDeactivated"}
	typesReactivation = []string{"MemberReactivated", "UserReactivated"}
	typesAccessRights = kpi.TypesAccessRights
	typesKeyCreated   = kpi.TypesKeyCreated
	typesKeyRevoked   = kpi.TypesKeyRevoked
	typesSupport      = kpi.TypesSupport
	typesImport       = kpi.TypesImport
	typesExport       = kpi.TypesExport
)

// typesChange are the changes the weekly change volume counts: block and
// application changes (the change-volume KPI's).
var typesChange = kpi.TypesChange

// typesStatus are the member status changes: deactivations and
// reactivations.
var typesStatus = slices.Concat(typesDeactivation, typesReactivation)

// typesSecurity are the weekly check's security events: account-type and
// role changes, access rights, API keys and support sessions (the
// daily-security-events threshold's).
var typesSecurity = kpi.TypesSecurity

// The account types, highest first (pigment-api-notes.md): the first three
// are privileged.
const (
	PrimaryOwner   = "Primary Owner"
	SecurityAdmin  = "Security Admin"
	WorkspaceAdmin = "Workspace Admin"
	Builder        = "Builder"
	StandardMember = "Standard Member"
)

// accountType returns the canonical name of an account type as events
// write it ("Admin", "workspace_admin", "Standard User", ...), and its rank
// (0 highest); ok is false for a value that names no account type (an
// application role).
func accountType(s string) (name string, rank int, ok bool) {
	key := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, s)
	switch key {
	case "primaryowner", "owner":
		return PrimaryOwner, 0, true
	case "securityadmin":
		return SecurityAdmin, 1, true
	case "workspaceadmin", "admin":
		return WorkspaceAdmin, 2, true
	case "builder":
		return Builder, 3, true
	case "standardmember", "standarduser", "member", "standard":
		return StandardMember, 4, true
	}
	return "", 0, false
}

// privileged reports whether an account type is Primary Owner, Security
// Admin or Workspace Admin.
func privileged(s string) bool {
	_, rank, ok := accountType(s)
	return ok && rank <= 2
}
