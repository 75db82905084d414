package kpi

import (
	"context"
	"strconv"
	"time"
)

// DayCounts are the audit events of one UTC day that the KPIs need, as an
// EventSource counts them: by event time, each eventId once.
type DayCounts struct {
	Day    time.Time // midnight UTC
	Events int64     // every event: 0 means the source does not hold the day
	// LoginAttempts are UserLoggedIn events, FailedLogins those with
	// outcome failure, ActiveMembers the members (id, else email) with at
	// least one that did not fail.
	LoginAttempts, FailedLogins, ActiveMembers int64
	Changes                                    int64 // TypesChange
	SecurityEvents                             int64 // TypesSecurity
	// Operations are TypesOperation events with a known outcome (their
	// status), FailedOperations those that failed.
	Operations, FailedOperations int64
}

// EventSource counts the audit events of each day of [from, to), both
// midnights UTC, one DayCounts per day in order, days without events
// included. Name is what kpi_daily's source column says ("archive",
// "topic").
type EventSource interface {
	Counts(ctx context.Context, from, to time.Time) ([]DayCounts, error)
	Name() string
}

// InventorySummary is what a snapshot of the workspace's inventory says
// for the KPIs: the same fields as inventory.Summary (internal/inventory),
// declared here so that kpi does not depend on the inventory.
type InventorySummary struct {
	SnapshotID                          int64
	TakenAt                             time.Time
	Applications, Blocks, Metrics       int
	AvgDimensions                       *float64 // nil: not available (blocks without dimensions)
	LargeApplications, NamingViolations int
}

// InventorySource gives the inventory's snapshots.
type InventorySource interface {
	// LatestSummary is the newest snapshot taken at or before t; ok=false
	// when none.
	LatestSummary(ctx context.Context, t time.Time) (s InventorySummary, ok bool, err error)
}

// historyDays is how many days before a day its KPIs look at: the four
// weeks of the change volume's baseline before the week ending on it.
const historyDays = 7*(BaselineWeeks+1) - 1

// trendDays is how many previous days the active members' trend compares
// a day with.
const trendDays = 7

// history are the counts of consecutive days, oldest first.
type history []DayCounts

// at returns the counts of day, and false when history does not hold it.
func (h history) at(day time.Time) (DayCounts, bool) {
	if len(h) == 0 {
		return DayCounts{}, false
	}
	i := int(day.Sub(h[0].Day) / (24 * time.Hour))
	if i < 0 || i >= len(h) || !h[i].Day.Equal(day) {
		return DayCounts{}, false
	}
	return h[i], true
}

// sum adds the counts of the n days ending on last.
func (h history) sum(last time.Time, n int) DayCounts {
	var s DayCounts
	for i := range n {
		c, _ := h.at(last.AddDate(0, 0, -i))
		s.Events += c.Events
		s.Changes += c.Changes
	}
	return s
}

// eventValues are the audit-event KPIs of day from h, which must hold the
// historyDays before it.
func eventValues(h history, day time.Time, th Thresholds, source string) []Value {
	c, _ := h.at(day)
	v := func(kpi string, value, target *float64, cmp comparison) Value {
		return Value{Day: day, KPI: kpi, Value: value, Target: target, Status: judge(value, target, cmp), Source: source}
	}
	// A day without events is a quiet day (a weekend): its counts are 0,
	// its shares not available. A week without any is one the source does
	// not hold: its volume is not available.
	week := h.sum(day, 7)
	volume := ptr(float64(week.Changes))
	if week.Events == 0 {
		volume = nil
	}
	var previous []Week
	for i := 1; i <= BaselineWeeks; i++ {
		w := h.sum(day.AddDate(0, 0, -7*i), 7)
		previous = append(previous, Week{Events: w.Events, Changes: w.Changes})
	}
	var limit *float64
	if verdict := JudgeVolume(week.Changes, previous); verdict.Weeks > 0 {
		limit = ptr(verdict.Limit)
	}
	return []Value{
		v(ActiveMembers, ptr(float64(c.ActiveMembers)), nil, atMost),
		v(ActiveMembersTrend, trend(h, day, c.ActiveMembers), nil, atMost),
		v(WeeklyChanges, volume, limit, atMost),
		v(FailedLoginShare, share(c.FailedLogins, c.LoginAttempts), ptr(th.FailedLoginShare), below),
		v(APIErrorRate, share(c.FailedOperations, c.Operations), ptr(th.APIErrorRate), below),
		v(DailyChanges, ptr(float64(c.Changes)), ptr(float64(th.DailyChanges)), atMost),
		v(DailySecurityEvents, ptr(float64(c.SecurityEvents)), ptr(float64(th.DailySecurityEvents)), atMost),
	}
}

// trend is how far a day's active members are from the mean of the
// trendDays before it that the source holds, as a share of that mean (0.1
// is 10 % more); nil when there is no such day or the mean is 0.
func trend(h history, day time.Time, active int64) *float64 {
	var n, sum int64
	for i := 1; i <= trendDays; i++ {
		if c, ok := h.at(day.AddDate(0, 0, -i)); ok && c.Events > 0 {
			n++
			sum += c.ActiveMembers
		}
	}
	if n == 0 || sum == 0 {
		return nil
	}
	mean := float64(sum) / float64(n)
	return ptr((float64(active) - mean) / mean)
}

// inventoryValues are the inventory's KPIs of day from its newest snapshot
// then (ok false: none, every value not available).
func inventoryValues(s InventorySummary, ok bool, day time.Time, th Thresholds) []Value {
	source := ""
	avg, large, naming := s.AvgDimensions, ptr(float64(s.LargeApplications)), ptr(float64(s.NamingViolations))
	if ok {
		source = "inventory snapshot " + strconv.FormatInt(s.SnapshotID, 10)
	} else {
		avg, large, naming = nil, nil, nil
	}
	v := func(kpi string, value, target *float64, cmp comparison) Value {
		return Value{Day: day, KPI: kpi, Value: value, Target: target, Status: judge(value, target, cmp), Source: source}
	}
	return []Value{
		v(AvgDimensions, avg, ptr(th.AvgDimensions), below),
		v(LargeApplications, large, ptr(float64(th.LargeApplications)), atMost),
		v(NamingViolations, naming, ptr(float64(th.NamingViolations)), atMost),
	}
}
