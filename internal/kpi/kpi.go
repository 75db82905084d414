// Package kpi computes the reliability KPIs of the seed's dashboard table
// (pigment-audit-apis.md, "KPIs to Track") for each UTC day, keeps them in
// Postgres (kpi_daily), exposes the latest day as Prometheus gauges, and
// turns a KPI past its target, or a day past one of the
// check_reliability_thresholds, into an alert on the alerts topic, in
// detect's format, once per rule, day and KPI; and sends every KPI of a
// day that ended as an informational kpi-daily record, once, for the
// SIEMs' KPI dashboards.
//
// The audit-event KPIs are counted by an EventSource: the archive
// (ArchiveSource, forward SINK=postgres) when it holds events, else the
// events topic itself (TopicSource). The inventory's KPIs come from its
// newest snapshot through an InventorySource. The inventory program calls
// Runner.Run on each snapshot and once a day; README, "KPIs", documents
// every KPI, its definition, target and source.
package kpi

import "time"

// The KPIs, as kpi_daily and the gauges' kpi label name them. The names
// are an interface (reports, dashboards): change them only by adding.
const (
	ActiveMembers       = "active_members"
	ActiveMembersTrend  = "active_members_trend"
	WeeklyChanges       = "weekly_changes"
	FailedLoginShare    = "failed_login_share"
	APIErrorRate        = "api_error_rate"
	AvgDimensions       = "avg_dimensions_per_metric"
	LargeApplications   = "large_applications"
	NamingViolations    = "naming_violations"
	DailyChanges        = "daily_changes"
	DailySecurityEvents = "daily_security_events"
)

// Definition says how a KPI reads, for reports and dashboards.
type Definition struct {
	Name, Title string
	// Share: the value is a fraction (shown in percent).
	Share bool
	// Below: the value must stay below its target ("< 5 %"); else at or
	// under it ("0 large applications", "baseline + 20 %").
	Below bool
}

// Definitions are the KPIs in the order reports show them: the seed's
// table, then the daily counts check_reliability_thresholds watches.
var Definitions = []Definition{
	{ActiveMembers, "Daily active members", false, false},
	{ActiveMembersTrend, "Active members against the previous week's mean", true, false},
	{WeeklyChanges, "Weekly change volume (7 days)", false, false},
	{FailedLoginShare, "Failed-login share", true, true},
	{APIErrorRate, "API error rate (failed imports and exports)", true, true},
	{AvgDimensions, "Average dimensions per metric", false, true},
	{LargeApplications, "Large applications (> 200 blocks)", false, false},
	{NamingViolations, "Naming violations", false, false},
	{DailyChanges, "Daily changes", false, false},
	{DailySecurityEvents, "Daily security events", false, false},
}

// Names are the KPIs in the order of Definitions.
var Names = func() []string {
	names := make([]string, len(Definitions))
	for i, d := range Definitions {
		names[i] = d.Name
	}
	return names
}()

// Status is how a KPI's value stands against its target.
type Status string

// The statuses a KPI can have.
const (
	OK           Status = "ok"            // within its target
	Breached     Status = "breached"      // past its target: alerted
	NotAvailable Status = "not available" // no value (no snapshot, no attempt, no dimensions)
	NoTarget     Status = "no target"     // a value to watch (the active members' trend), or no baseline yet
)

// Value is one KPI of one day, as kpi_daily keeps it. Value and Target are
// nil when not available.
type Value struct {
	Day    time.Time // midnight UTC
	KPI    string
	Value  *float64
	Target *float64
	Status Status
	// Source says where the value came from: "archive", "topic" or
	// "inventory snapshot <id>"; "" for none.
	Source string
}

// comparison is how a value is judged against its target.
type comparison uint8

const (
	atMost comparison = iota // within while value <= target ("0 large applications")
	below                    // within while value < target ("< 5 % of attempts")
)

// judge returns the status of value against target.
func judge(value, target *float64, cmp comparison) Status {
	switch {
	case value == nil:
		return NotAvailable
	case target == nil:
		return NoTarget
	case cmp == below && *value >= *target, cmp == atMost && *value > *target:
		return Breached
	}
	return OK
}

// Day returns the UTC day holding t, at midnight.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func ptr(v float64) *float64 { return &v }

// share is part/whole, nil when whole is 0.
func share(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	return ptr(float64(part) / float64(whole))
}
