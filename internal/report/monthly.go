package report

import "context"

// MonthlySections builds the monthly compliance audit's sections for p
// from the archive.
func MonthlySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	scope, err := scopeSection(ctx, db, p)
	if err != nil {
		return nil, err
	}
	return []Section{scope}, nil
}
