package kpi

import (
	"cmp"
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
// check_reliability_thresholds, and any KPI past its target; and the daily
// record of every KPI.
const (
	RuleDailyChanges   = "daily-changes"   // more changes in a day than DailyChanges
	RuleSecurityEvents = "security-events" // more security events in a day than DailySecurityEvents
	RuleTarget         = "kpi-target"      // a KPI of the table past its target
	// RuleDaily is the informational record of each KPI of a day that
	// ended, past its target or not: what the SIEMs' KPI dashboards read
	// (the latest value of each KPI), sent once per day and KPI.
	RuleDaily = "kpi-daily"
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

// decide returns the alerts of the values past their target, and the
// daily record of every value of a day that ended by now: a day still open
// is recomputed after each snapshot, and its record, sent once, would keep
// its first value.
func decide(values []Value, now time.Time) ([]decided, error) {
	var out []decided
	for _, v := range values {
		r, ok := alertRules[v.KPI]
		if ok && v.Status == Breached {
			a := kpiAlert(v, r.Rule, r.Severity, r.Title)
			a.Description = fmt.Sprintf("%s was %s on %s (UTC), past its target %s (source: %s).",
				v.KPI, formatValue(*v.Value, r.Percent), v.Day.Format(time.DateOnly), formatValue(*v.Target, r.Percent), v.Source)
			if !r.Percent {
				a.Count = int(*v.Value)
			}
			d, err := decision(a, v)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		if v.Day.AddDate(0, 0, 1).After(now) {
			continue
		}
		a := kpiAlert(v, RuleDaily, "info", title(v.KPI))
		a.Description = fmt.Sprintf("%s on %s (UTC): %s (source: %s).", v.KPI, v.Day.Format(time.DateOnly), v.Status, cmp.Or(v.Source, "none"))
		d, err := decision(a, v)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// kpiAlert is the alert of rule about v, its day as window, with the KPI's
// structured fields; title is followed by the day.
func kpiAlert(v Value, rule, severity, title string) detect.Alert {
	return detect.Alert{
		ID: AlertID(rule, v.KPI, v.Day), Rule: rule, Severity: severity,
		Title:          title + " on " + v.Day.Format(time.DateOnly),
		Window:         detect.Window{Start: v.Day, End: v.Day.AddDate(0, 0, 1)},
		FirstEventTime: v.Day, LastEventTime: v.Day.AddDate(0, 0, 1),
		Evidence: []string{},
		KPI:      v.KPI, Value: v.Value, Target: v.Target, Status: string(v.Status),
	}
}

// decision is a ready to be recorded.
func decision(a detect.Alert, v Value) (decided, error) {
	payload, err := json.Marshal(a)
	if err != nil {
		return decided{}, fmt.Errorf("alert %s on %s: %w", a.Rule, v.KPI, err)
	}
	return decided{ID: a.ID, Rule: a.Rule, KPI: v.KPI, Severity: a.Severity, Day: v.Day, Payload: payload}, nil
}

// title is the title of kpi in Definitions, else its name.
func title(kpi string) string {
	for _, d := range Definitions {
		if d.Name == kpi {
			return d.Title
		}
	}
	return kpi
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
// rerun that decides it again finds it recorded and produces nothing. It
// returns the threshold alerts and the daily records produced.
func (r *Runner) flush(ctx context.Context) (alerts, daily int, err error) {
	pending, err := r.cfg.Store.pending(ctx)
	if err != nil || len(pending) == 0 {
		return 0, 0, err
	}
	msgs := make([]kafka.Message, len(pending))
	ids := make([]string, len(pending))
	for i, q := range pending {
		msgs[i] = record.Alert{ID: q.ID, Rule: q.Rule, Severity: q.Severity, Producer: record.ProducerInventory, JSON: q.Payload}.Message(r.cfg.AlertsTopic)
		ids[i] = q.ID
	}
	if err := r.cfg.Alerts.Write(ctx, msgs); err != nil {
		return 0, 0, fmt.Errorf("write %d KPI alerts: %w", len(msgs), err)
	}
	for _, q := range pending {
		r.cfg.Metrics.alerted(q.Rule)
		if q.Rule == RuleDaily {
			daily++
		}
	}
	return len(msgs) - daily, daily, r.cfg.Store.sent(ctx, ids)
}
