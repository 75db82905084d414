package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// The resources' URIs.
const (
	URIEventTypes = "pigment-audit://vocabulary/event-types"
	URIKPIs       = "pigment-audit://kpi/definitions"
	URICoverage   = "pigment-audit://archive/coverage"
)

// resourceScopes are the scopes the resources that read data need (guard):
// the coverage reads the archive. The vocabulary and the KPI definitions
// are the server's own constants, readable with any token.
var resourceScopes = map[string]string{URICoverage: ScopeEvents}

// eventTypes is the vocabulary: the event types the tools and reports
// count, by what they mean, in both of Pigment's vocabularies. Other types
// exist (types are open strings): search_events and activity_summary see
// every one.
var eventTypes = map[string][]string{
	"login":                kpi.TypesLogin,
	"block change":         kpi.TypesBlockChange,
	"application change":   kpi.TypesAppChange,
	"account type or role": kpi.TypesAccountType,
	"access rights":        kpi.TypesAccessRights,
	"API key created":      kpi.TypesKeyCreated,
	"API key revoked":      kpi.TypesKeyRevoked,
	"support session":      kpi.TypesSupport,
	"import":               kpi.TypesImport,
	"export":               kpi.TypesExport,
	"invitation":           {"MemberInvited", "UserInvited"},
	"deactivation":         {"MemberDeactivated", "UserDeactivated"},
	"reactivation":         {"MemberReactivated", "UserReactivated"},
}

// kpiDefinition is a KPI as the resource describes it.
type kpiDefinition struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	// Share: the value is a fraction; Below: it must stay below its target.
	Share bool `json:"share"`
	Below bool `json:"mustStayBelowTarget"`
}

// Coverage is how much the archive holds: what an answer can be complete
// about.
type Coverage struct {
	EarliestEvent *time.Time `json:"earliestEvent" jsonschema:"the oldest event time in the archive"`
	LatestEvent   *time.Time `json:"latestEvent" jsonschema:"the newest event time in the archive"`
	// Watermark is extract's live checkpoint: events ingested by Pigment
	// before it were read from the API (and, once forwarded, archived).
	Watermark      *time.Time `json:"extractWatermark" jsonschema:"extract's live checkpoint: events ingested before it have been read from Pigment"`
	LatestSnapshot *time.Time `json:"latestInventorySnapshot"`
	LatestKPIDay   *time.Time `json:"latestKpiDay"`
	Note           string     `json:"note"`
}

func (s *Server) addResources() {
	add := func(uri, name, desc string, read func(context.Context) (any, error)) {
		s.mcp.AddResource(&mcp.Resource{URI: uri, Name: name, Description: desc, MIMEType: "application/json"},
			func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
				v, err := read(ctx)
				if err != nil {
					return nil, err
				}
				b, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return nil, fmt.Errorf("resource %s: %w", uri, err)
				}
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(b)}}}, nil
			})
	}
	add(URIEventTypes, "event-types", "The audit event types the tools count, by category (login, block change, API key created, ...).",
		func(context.Context) (any, error) { return eventTypes, nil })
	add(URIKPIs, "kpi-definitions", "The reliability KPIs: name, title, whether a share, and their default targets.",
		func(context.Context) (any, error) {
			defs := make([]kpiDefinition, len(kpi.Definitions))
			for i, d := range kpi.Definitions {
				defs[i] = kpiDefinition{d.Name, d.Title, d.Share, d.Below}
			}
			return map[string]any{"kpis": defs, "defaultTargets": kpi.DefaultThresholds()}, nil
		})
	add(URICoverage, "archive-coverage", "How complete the archive is: its earliest and latest event, extract's watermark, the latest inventory snapshot and KPI day.",
		func(ctx context.Context) (any, error) { return s.coverage(ctx) })
}

// coverage reads Coverage: cheap queries (min and max on indexed columns).
func (s *Server) coverage(ctx context.Context) (Coverage, error) {
	var c Coverage
	err := s.cfg.DB.QueryRow(ctx, `SELECT (SELECT min(event_time) FROM archive_events), (SELECT max(event_time) FROM archive_events),
		(SELECT watermark FROM checkpoints WHERE name = 'live'), (SELECT max(taken_at) FROM inventory_snapshots),
		(SELECT max(day)::timestamp AT TIME ZONE 'UTC' FROM kpi_daily)`).Scan(&c.EarliestEvent, &c.LatestEvent, &c.Watermark, &c.LatestSnapshot, &c.LatestKPIDay)
	if err != nil {
		return Coverage{}, fmt.Errorf("archive coverage: %w", err)
	}
	for _, t := range []*time.Time{c.EarliestEvent, c.LatestEvent, c.Watermark, c.LatestSnapshot, c.LatestKPIDay} {
		if t != nil {
			*t = t.UTC() // pgx reads timestamptz in the process's zone
		}
	}
	c.Note = "Answers about events cover the archive's events only: before earliestEvent nothing is known; events Pigment ingested after extractWatermark may not be archived yet."
	return c, nil
}
