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
	addTool(s, ScopeEvents, "search_events", "Search audit events",
		"Audit events of a period, newest first, optionally of some event types, of one member (as actor or target) and in one application. Use it to show what happened; use activity_summary to count.",
		s.searchEvents)
	addTool(s, ScopeEvents, "activity_summary", "Count events by type, member or application",
		"How many audit events a period holds by event type, by member (the actor) or by application, largest first, optionally of some event types only.",
		s.activitySummary)
	addTool(s, ScopeEvents, "top_changes", "Applications or members with the most changes",
		"The applications (or members) with the most changes in a period: blocks created, modified or deleted and applications created or deleted, as the weekly report counts them. For 'top 5 applications by changes this month', give period as the month (2026-11) and limit 5.",
		s.topChanges)
}

func (s *Server) searchEvents(ctx context.Context, in SearchEventsInput) (Result, error) {
	p, limit, err := s.cfg.Limits.window(in.Window, s.cfg.Now())
	if err != nil {
		return Result{}, err
	}
	t := report.Table{Title: "Audit events, newest first", Columns: eventColumns}
	t, err = queryTable(ctx, s.cfg.DB, t, eventSelect+`
		WHERE event_time >= $1 AND event_time < $2
		  AND (cardinality($3::text[]) = 0 OR event_type = ANY($3))
		  AND ($4 = '' OR $4 IN (actor_id, actor_email, target_id, target_email))
		  AND ($5 = '' OR application_id = $5 OR lower(application_name) = lower($5))
		ORDER BY event_time DESC, event_id DESC
		LIMIT $6`, p.Start, p.End, nonNil(in.Types), in.Member, in.Application, limit+1)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, scopeOf(p)), nil
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
	p, limit, err := s.cfg.Limits.window(w, s.cfg.Now())
	if err != nil {
		return Result{}, err
	}
	t := report.Table{Title: title, Columns: []string{by, by + " id", "events"}}
	t, err = queryTable(ctx, s.cfg.DB, t, `
		SELECT `+keys[0]+`, `+keys[1]+`, count(*) FROM archive_events
		WHERE event_time >= $1 AND event_time < $2 AND (cardinality($3::text[]) = 0 OR event_type = ANY($3))
		GROUP BY `+groupBy[by]+`
		ORDER BY count(*) DESC, `+groupBy[by]+` NULLS LAST
		LIMIT $4`, p.Start, p.End, nonNil(types), limit+1)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, scopeOf(p)), nil
}

func (s *Server) topChanges(ctx context.Context, in TopChangesInput) (Result, error) {
	switch in.By {
	case "member":
		return s.countBy(ctx, in.Window, "member", kpi.TypesChange, "Members with the most changes")
	case "", "application":
	default:
		return Result{}, fmt.Errorf("by %q: want application or member", in.By)
	}
	p, limit, err := s.cfg.Limits.window(in.Window, s.cfg.Now())
	if err != nil {
		return Result{}, err
	}
	t, err := report.TopApplications(ctx, s.cfg.DB, p, limit+1)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, scopeOf(p)), nil
}

// nonNil is list, or an empty list for nil, so that SQL sees '{}' and not
// NULL.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
