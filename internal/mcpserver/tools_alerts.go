package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/report"
)

// AlertsInput asks for the alerts of a period.
type AlertsInput struct {
	Window
	Severity string `json:"severity,omitempty" jsonschema:"keep only this severity (low, medium, high, critical)"`
	Rule     string `json:"rule,omitempty" jsonschema:"keep only this detection rule"`
}

// AlertInput names one alert.
type AlertInput struct {
	AlertID string `json:"alert_id" jsonschema:"the alert's id, as list_alerts shows it"`
	Limit   int    `json:"limit,omitempty" jsonschema:"most evidence events to return (default 50)"`
}

// Alert is one alert with the events it was raised on.
type Alert struct {
	AlertID     string   `json:"alertId"`
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Actor       string   `json:"actor"`
	ActorID     string   `json:"actorId"`
	Application string   `json:"application"`
	WindowStart string   `json:"windowStart"`
	WindowEnd   string   `json:"windowEnd"`
	EventCount  int64    `json:"eventCount" jsonschema:"how many events the rule counted"`
	Mitre       string   `json:"mitre,omitempty" jsonschema:"the MITRE ATT&CK technique, if any"`
	EvidenceIDs []string `json:"evidenceIds" jsonschema:"the ids of the events the alert names as evidence"`
	Evidence    Result   `json:"evidence" jsonschema:"the evidence events found in the archive, oldest first"`
}

func (s *Server) addAlertTools() {
	addTool(s, ScopeAlerts, "list_alerts", s.listAlerts)
	addTool(s, ScopeAlerts, "get_alert", s.getAlert)
}

func (s *Server) listAlerts(ctx context.Context, in AlertsInput) (Result, error) {
	return s.windowTable(in.Window, func(p report.Period, limit int) (report.Table, error) {
		t := report.Table{Title: "Alerts, newest first",
			Columns: []string{"window start", "rule", "severity", "title", "actor", "application", "events", "alert id"}}
		return queryTable(ctx, s.cfg.DB, t, `
		SELECT window_start, coalesce(rule, ''), coalesce(severity, ''), coalesce(title, ''),
		       coalesce(actor_email, actor_id, ''), coalesce(application_name, application_id, ''), coalesce(event_count, 0), alert_id
		FROM archive_alerts
		WHERE window_start >= $1 AND window_start < $2 AND ($3 = '' OR lower(severity) = lower($3)) AND ($4 = '' OR rule = $4)
		ORDER BY window_start DESC, alert_id
		LIMIT $5`, p.Start, p.End, in.Severity, in.Rule, limit+1)
	})
}

func (s *Server) getAlert(ctx context.Context, in AlertInput) (Alert, error) {
	limit, err := s.cfg.Limits.limit(in.Limit)
	if err != nil {
		return Alert{}, err
	}
	var a Alert
	var ws, we *string
	err = s.cfg.DB.QueryRow(ctx, `
		SELECT alert_id, coalesce(rule, ''), coalesce(severity, ''), coalesce(title, ''), coalesce(actor_email, ''), coalesce(actor_id, ''),
		       coalesce(application_name, application_id, ''), to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		       to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), coalesce(event_count, 0), coalesce(mitre, ''),
		       coalesce(evidence, '{}')
		FROM archive_alerts WHERE alert_id = $1`, in.AlertID).
		Scan(&a.AlertID, &a.Rule, &a.Severity, &a.Title, &a.Actor, &a.ActorID, &a.Application, &ws, &we, &a.EventCount, &a.Mitre, &a.EvidenceIDs)
	if errors.Is(err, pgx.ErrNoRows) {
		return Alert{}, fmt.Errorf("no alert %q in the archive: list_alerts shows the ids", in.AlertID)
	}
	if err != nil {
		return Alert{}, fmt.Errorf("read alert: %w", err)
	}
	a.WindowStart, a.WindowEnd = deref(ws), deref(we)
	if n := s.cfg.Limits.MaxRows; len(a.EvidenceIDs) > n {
		a.EvidenceIDs = a.EvidenceIDs[:n] // the cap: eventCount says how many there were
	}
	t := report.Table{Title: "Evidence events, oldest first", Columns: eventColumns}
	t, err = queryTable(ctx, s.cfg.DB, t, eventSelect+`
		WHERE event_id = ANY($1) ORDER BY event_time, event_id LIMIT $2`, a.EvidenceIDs, limit+1)
	if err != nil {
		return Alert{}, err
	}
	a.Evidence = s.cfg.Limits.newResult(t, limit, "the alert's evidence: "+strings.Join(truncateIDs(a.EvidenceIDs, 5), ", "))
	return a, nil
}

// truncateIDs is the first n of ids, and "..." when there are more.
func truncateIDs(ids []string, n int) []string {
	if len(ids) <= n {
		return ids
	}
	return append(ids[:n:n], "...")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
