package kpi

import (
	"errors"
	"fmt"
)

// Thresholds are the KPIs' targets and the check_reliability_thresholds'
// limits. They come from configuration; the inventory's policy fills them
// once it holds them (its average-dimensions target and large-application
// threshold are the same figures). Zero values are real limits ("0 large
// applications"), so start from DefaultThresholds.
type Thresholds struct {
	// DailyChanges: more block and application changes in a day is a
	// medium alert (the seed's "warning", CHANGE_THRESHOLD).
	DailyChanges int64
	// DailySecurityEvents: more security events in a day is a high alert
	// (SECURITY_THRESHOLD).
	DailySecurityEvents int64
	// FailedLoginShare: failed logins must stay below this share of login
	// attempts.
	FailedLoginShare float64
	// APIErrorRate: failed data operations must stay below this share of
	// those with a known outcome.
	APIErrorRate float64
	// AvgDimensions: metrics must average fewer dimensions.
	AvgDimensions float64
	// LargeApplications and NamingViolations may be at most these.
	LargeApplications int
	NamingViolations  int
}

// DefaultThresholds are the seed's targets, and limits for the daily
// counts that a busy but ordinary workspace stays under.
func DefaultThresholds() Thresholds {
	return Thresholds{
		DailyChanges:        500,
		DailySecurityEvents: 20,
		FailedLoginShare:    0.05,
		APIErrorRate:        0.01,
		AvgDimensions:       6,
		LargeApplications:   0,
		NamingViolations:    0,
	}
}

// Validate reports the first threshold out of its range, by name.
func (t Thresholds) Validate() error {
	var errs []error
	if t.DailyChanges < 0 {
		errs = append(errs, fmt.Errorf("daily changes threshold %d: want 0 or more", t.DailyChanges))
	}
	if t.DailySecurityEvents < 0 {
		errs = append(errs, fmt.Errorf("daily security events threshold %d: want 0 or more", t.DailySecurityEvents))
	}
	if t.FailedLoginShare <= 0 || t.FailedLoginShare > 1 {
		errs = append(errs, fmt.Errorf("failed-login share target %g: want a share in (0, 1]", t.FailedLoginShare))
	}
	if t.APIErrorRate <= 0 || t.APIErrorRate > 1 {
		errs = append(errs, fmt.Errorf("API error rate target %g: want a share in (0, 1]", t.APIErrorRate))
	}
	if t.AvgDimensions <= 0 {
		errs = append(errs, fmt.Errorf("average dimensions target %g: want more than 0", t.AvgDimensions))
	}
	if t.LargeApplications < 0 || t.NamingViolations < 0 {
		errs = append(errs, errors.New("large applications and naming violations targets: want 0 or more"))
	}
	return errors.Join(errs...)
}
