package report

import (
	"context"
	"errors"
)

// WeeklySections builds the weekly reliability check's sections for p from
// the archive.
func WeeklySections(ctx context.Context, db DB, p Period) ([]Section, error) {
	return nil, errors.New("weekly report: not built yet")
}
