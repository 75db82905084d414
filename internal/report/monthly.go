package report

import (
	"context"
	"errors"
)

// MonthlySections builds the monthly compliance audit's sections for p
// from the archive.
func MonthlySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	return nil, errors.New("monthly report: not built yet")
}
