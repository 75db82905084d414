package kpi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/record"
)

// The rules of the threshold alerts (README, "KPIs"): the seed's
// check_reliability_thresholds, and any KPI past its target.
const (
	RuleDailyChanges   = "daily-changes"   // more changes in a day than DailyChanges
	RuleSecurityEvents = "security-events" // more security events in a day than DailySecurityEvents
	RuleTarget         = "kpi-target"      // a KPI of the table past its target
)

// alertRule is the rule and severity of a KPI's alert, and how its value
// reads in a title.
type alertRule struct {
	Rule, Severity, Title string
	Percent               bool // the value is a share, shown in percent
}

// alertRules are the KPIs that alert, by KPI; the others (the active
// members and their trend) have no target. The seed's "warning" is
// detect's medium.
var alertRules = map[string]alertRule{
	DailyChanges:        {RuleDailyChanges, "medium", "Daily changes over their threshold", false},
	DailySecurityEvents: {RuleSecurityEvents, "high", "Daily security events over their threshold", false},
	WeeklyChanges:       {RuleTarget, "medium", "Weekly change volume above its baseline + 20 %", false},
	FailedLoginShare:    {RuleTarget, "medium", "Failed logins at or above their target share of attempts", true},
	APIErrorRate:        {RuleTarget, "medium", "API error rate at or above its target", true},
	AvgDimensions:       {RuleTarget, "medium", "Average dimensions per metric at or above its target", false},
	LargeApplications:   {RuleTarget, "medium", "Large applications above their target", false},
	NamingViolations:    {RuleTarget, "medium", "Naming violations above their target", false},
}

// decided is an alert decided from a KPI, ready to be recorded.
type decided struct {
	ID, Rule, KPI, Severity string
	Day                     time.Time
	Payload                 []byte
}

// AlertID is the deterministic id of the alert of rule about kpi on day:
// a name-based UUID in detect's namespace, so a rerun, a restart or a
// recomputed day gives the same id, and the alert is recorded and sent
// once.
func AlertID(rule, kpi string, day time.Time) string {
	return uuid.NewSHA1(detect.Namespace, []byte(rule+"|"+kpi+"|"+day.UTC().Format(time.DateOnly))).String()
}

// decide returns the alerts of the values past their target.
func decide(values []Value) ([]decided, error) {
	var out []decided
	for _, v := range values {
		r, ok := alertRules[v.KPI]
		if !ok || v.Status != Breached {
			continue
		}
		a := detect.Alert{
			ID: AlertID(r.Rule, v.KPI, v.Day), Rule: r.Rule, Severity: r.Severity,
			Title: r.Title + " on " + v.Day.Format(time.DateOnly),
			Description: fmt.Sprintf("%s was %s on %s (UTC), past its target %s (source: %s).",
				v.KPI, formatValue(*v.Value, r.Percent), v.Day.Format(time.DateOnly), formatValue(*v.Target, r.Percent), v.Source),
			Window:         detect.Window{Start: v.Day, End: v.Day.AddDate(0, 0, 1)},
			FirstEventTime: v.Day, LastEventTime: v.Day.AddDate(0, 0, 1),
			Evidence: []string{},
		}
		if !r.Percent {
			a.Count = int(*v.Value)
		}
		payload, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("alert on %s: %w", v.KPI, err)
		}
		out = append(out, decided{ID: a.ID, Rule: a.Rule, KPI: v.KPI, Severity: a.Severity, Day: v.Day, Payload: payload})
	}
	return out, nil
}

// formatValue is a value as an alert's text shows it: a share in percent
// with one decimal, else a number with at most one.
func formatValue(v float64, percent bool) string {
	if percent {
		return strconv.FormatFloat(100*v, 'f', 1, 64) + " %"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Publisher writes records and returns once Kafka acknowledged them all
// (*publish.Publisher).
type Publisher interface {
	Write(ctx context.Context, msgs []kafka.Message) error
}

// flush produces the alerts recorded and not yet sent, and marks them sent
// once Kafka acknowledged them: an alert is produced at least once, and a
// rerun that decides it again finds it recorded and produces nothing.
func (r *Runner) flush(ctx context.Context) (int, error) {
	pending, err := r.cfg.Store.pending(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	msgs := make([]kafka.Message, len(pending))
	ids := make([]string, len(pending))
	for i, q := range pending {
		msgs[i] = record.Alert{ID: q.ID, Rule: q.Rule, Severity: q.Severity, JSON: q.Payload}.Message(r.cfg.AlertsTopic)
		ids[i] = q.ID
	}
	if err := r.cfg.Alerts.Write(ctx, msgs); err != nil {
		return 0, fmt.Errorf("write %d KPI alerts: %w", len(msgs), err)
	}
	for _, q := range pending {
		r.cfg.Metrics.alerted(q.Rule)
	}
	return len(msgs), r.cfg.Store.sent(ctx, ids)
}
