package report

import "context"

// builder builds one section of a report for a period.
type builder func(context.Context, DB, Period) (Section, error)

// WeeklySections builds the weekly reliability check's sections for p from
// the archive: scope, active members and their trend, change volume against
// its baseline and the most changed applications, security events, logins
// (failed-login share, by hour), alerts by rule and severity, daily
// activity, the workspace inventory's newest snapshot, and the reliability
// KPIs against their targets (kpi_daily). Read through a
// repeatable-read transaction, every section sees the same archive.
func WeeklySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	weeks, err := weeksUpTo(ctx, db, p)
	if err != nil {
		return nil, err
	}
	return buildSections(ctx, db, p,
		scopeSection,
		func(context.Context, DB, Period) (Section, error) { return activeMembersSection(weeks), nil },
		func(ctx context.Context, db DB, p Period) (Section, error) {
			return changeVolumeSection(ctx, db, p, weeks)
		},
		securitySection,
		loginsSection,
		func(ctx context.Context, db DB, p Period) (Section, error) { return alertsSection(ctx, db, p, false) },
		dailyActivitySection,
		inventorySection,
		kpisSection,
	)
}

// buildSections runs the builders in order, then adds the record counts
// to the first section (the scope).
func buildSections(ctx context.Context, db DB, p Period, builders ...builder) ([]Section, error) {
	sections := make([]Section, 0, len(builders))
	for _, build := range builders {
		s, err := build(ctx, db, p)
		if err != nil {
			return nil, err
		}
		sections = append(sections, s)
	}
	return withRecordCounts(sections), nil
}
