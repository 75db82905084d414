package report

import "context"

// WeeklySections builds the weekly reliability check's sections for p from
// the archive.
func WeeklySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	scope, err := scopeSection(ctx, db, p)
	if err != nil {
		return nil, err
	}
	return []Section{scope}, nil
}
