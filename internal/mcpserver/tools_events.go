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
	Member      string   `json:"member,omitempty" jsonschema:"a member's email (any case) or id: events they did or that were done to them"`
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
		  AND ($4 = '' OR $4 IN (actor_id, target_id) OR lower($4) IN (lower(actor_email), lower(target_email)))
		  AND ($5 = '' OR application_id = $5 OR lower(application_name) = lower($5))
		ORDER BY event_time DESC, event_id DESC
		LIMIT $6`, p.Start, p.End, nonNil(in.Types), in.Member, in.Application, limit+1)
	})
}

// dimension is what activity_summary counts by: the rows it reads (e,
// with event_time and event_type), the key it groups by, and the label and
// id each group is shown with.
type dimension struct{ from, key, label, id string }

// memberEvents are the events with their actor's member key, as the
// reports key members (report's dormant section): the id, else the id the
// email goes with elsewhere in the period (when only one), else the email
// in lower case. An event without an actor id is common in Pigment's public
// shape; grouping by actor_id alone would lump every such member into one.
const memberEvents = `(SELECT coalesce(a.actor_id, ids.id, lower(a.actor_email)) AS member, a.actor_email, a.actor_name,
		a.event_time, a.event_type
	FROM archive_events a LEFT JOIN (
		SELECT lower(actor_email) AS email, min(actor_id) AS id FROM archive_events
		WHERE event_time >= $1 AND event_time < $2 AND actor_id IS NOT NULL AND actor_email IS NOT NULL
		GROUP BY 1 HAVING count(DISTINCT actor_id) = 1
	) ids ON a.actor_id IS NULL AND ids.email = lower(a.actor_email)) e`

// dimensions are what activity_summary counts by.
var dimensions = map[string]dimension{
	"type": {from: "archive_events e", key: "event_type", label: "coalesce(event_type, '')", id: "''"},
	"member": {from: memberEvents, key: "member",
		label: "coalesce(max(actor_email), max(actor_name), member, '')", id: "coalesce(member, '')"},
	"application": {from: "archive_events e", key: "application_id",
		label: "coalesce(max(application_name), application_id, '')", id: "coalesce(application_id, '')"},
}

func (s *Server) activitySummary(ctx context.Context, in SummaryInput) (Result, error) {
	return s.countBy(ctx, in.Window, in.By, in.Types, "Events by "+in.By)
}

// countBy counts the events of types (all when empty) in a period by one
// of the dimensions, largest first.
func (s *Server) countBy(ctx context.Context, w Window, by string, types []string, title string) (Result, error) {
	d, ok := dimensions[by]
	if !ok {
		return Result{}, fmt.Errorf("by %q: want type, member or application", by)
	}
	return s.windowTable(w, func(p report.Period, limit int) (report.Table, error) {
		t := report.Table{Title: title, Columns: []string{by, by + " id", "events"}}
		return queryTable(ctx, s.cfg.DB, t, `
		SELECT `+d.label+`, `+d.id+`, count(*) FROM `+d.from+`
		WHERE e.event_time >= $1 AND e.event_time < $2 AND (cardinality($3::text[]) = 0 OR e.event_type = ANY($3))
		GROUP BY `+d.key+`
		ORDER BY count(*) DESC, `+d.key+` NULLS LAST
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
