package mcpserver

import (
	"context"
	"fmt"

	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/report"
)

// SearchEventsInput asks for audit events.
type SearchEventsInput struct {
	Window
	Types       []string `json:"types,omitempty" jsonschema:"event types to keep (see the resource pigment-audit://vocabulary/event-types); all when empty"`
	Member      string   `json:"member,omitempty" jsonschema:"a member's email or id: events they did or that were done to them"`
	Application string   `json:"application,omitempty" jsonschema:"an application's id or exact name (case-insensitive)"`
}

// SummaryInput asks for counts of events by one dimension.
type SummaryInput struct {
	Window
	By    string   `json:"by" jsonschema:"what to count by: type, member or application"`
	Types []string `json:"types,omitempty" jsonschema:"event types to count; all when empty"`
}

// TopChangesInput asks for the applications or members with most changes.
type TopChangesInput struct {
	Window
	By string `json:"by,omitempty" jsonschema:"application (default) or member"`
}

// eventColumns are the columns search_events returns.
var eventColumns = []string{"time", "event type", "actor", "actor id", "target", "target id", "application", "application id", "outcome", "event id"}

// eventSelect reads eventColumns from archive_events.
const eventSelect = `SELECT event_time, event_type, coalesce(actor_email, actor_name, ''), coalesce(actor_id, ''),
	coalesce(target_email, target_name, ''), coalesce(target_id, ''), coalesce(application_name, ''), coalesce(application_id, ''),
	coalesce(outcome, ''), event_id FROM archive_events`

func (s *Server) addEventTools() {
	addTool(s, ScopeEvents, "search_events", s.searchEvents)
	addTool(s, ScopeEvents, "activity_summary", s.activitySummary)
	addTool(s, ScopeEvents, "top_changes", s.topChanges)
}

func (s *Server) searchEvents(ctx context.Context, in SearchEventsInput) (Result, error) {
	return s.windowTable(in.Window, func(p report.Period, limit int) (report.Table, error) {
		t := report.Table{Title: "Audit events, newest first", Columns: eventColumns}
		return queryTable(ctx, s.cfg.DB, t, eventSelect+`
		WHERE event_time >= $1 AND event_time < $2
		  AND (cardinality($3::text[]) = 0 OR event_type = ANY($3))
		  AND ($4 = '' OR $4 IN (actor_id, actor_email, target_id, target_email))
		  AND ($5 = '' OR application_id = $5 OR lower(application_name) = lower($5))
		ORDER BY event_time DESC, event_id DESC
		LIMIT $6`, p.Start, p.End, nonNil(in.Types), in.Member, in.Application, limit+1)
	})
}

// summaryKeys are the label and id expressions activity_summary groups by.
var summaryKeys = map[string][2]string{
	"type":        {"coalesce(event_type, '')", "''"},
	"member":      {"coalesce(max(actor_email), max(actor_name), coalesce(actor_id, ''))", "coalesce(actor_id, '')"},
	"application": {"coalesce(max(application_name), coalesce(application_id, ''))", "coalesce(application_id, '')"},
}

// groupBy is the GROUP BY of summaryKeys' by.
var groupBy = map[string]string{"type": "event_type", "member": "actor_id", "application": "application_id"}

func (s *Server) activitySummary(ctx context.Context, in SummaryInput) (Result, error) {
	return s.countBy(ctx, in.Window, in.By, in.Types, "Events by "+in.By)
}

// countBy counts the events of types (all when empty) in a period by a
// summaryKeys dimension, largest first.
func (s *Server) countBy(ctx context.Context, w Window, by string, types []string, title string) (Result, error) {
	keys, ok := summaryKeys[by]
	if !ok {
		return Result{}, fmt.Errorf("by %q: want type, member or application", by)
	}
	return s.windowTable(w, func(p report.Period, limit int) (report.Table, error) {
		t := report.Table{Title: title, Columns: []string{by, by + " id", "events"}}
		return queryTable(ctx, s.cfg.DB, t, `
		SELECT `+keys[0]+`, `+keys[1]+`, count(*) FROM archive_events
		WHERE event_time >= $1 AND event_time < $2 AND (cardinality($3::text[]) = 0 OR event_type = ANY($3))
		GROUP BY `+groupBy[by]+`
		ORDER BY count(*) DESC, `+groupBy[by]+` NULLS LAST
		LIMIT $4`, p.Start, p.End, nonNil(types), limit+1)
	})
}

func (s *Server) topChanges(ctx context.Context, in TopChangesInput) (Result, error) {
	switch in.By {
	case "member":
		return s.countBy(ctx, in.Window, "member", kpi.TypesChange, "Members with the most changes")
	case "", "application":
	default:
		return Result{}, fmt.Errorf("by %q: want application or member", in.By)
	}
	return s.windowTable(in.Window, func(p report.Period, limit int) (report.Table, error) {
		return report.TopApplications(ctx, s.cfg.DB, p, limit+1)
	})
}

// nonNil is list, or an empty list for nil, so that SQL sees '{}' and not
// NULL.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
