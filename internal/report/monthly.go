package report

import "context"

// MonthlySections builds the monthly compliance audit's sections for p
// from the archive: scope, access control, privileged members at the end,
// dormant members, API keys, imports and exports, support sessions,
// alerts with their evidence, and exceptions (dead letters, incomplete
// days). The sign-off is the Document's (SignOff). Read through a
// repeatable-read transaction, every section sees the same archive.
func MonthlySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	return buildSections(ctx, db, p,
		scopeSection,
		accessControlSection,
		privilegedSection,
		dormantSection,
		apiKeysSection,
		dataTransfersSection,
		supportSection,
		func(ctx context.Context, db DB, p Period) (Section, error) { return alertsSection(ctx, db, p, true) },
		exceptionsSection,
	)
}
