package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/report"
)

// DimensionsInput asks for blocks by their number of dimensions.
type DimensionsInput struct {
	Type        string `json:"type,omitempty" jsonschema:"block type to keep (Metric, Table, DimensionList...); default Metric; all for every type"`
	Application string `json:"application,omitempty" jsonschema:"an application's id, or part of its name (case-insensitive)"`
	Limit       int    `json:"limit,omitempty" jsonschema:"most rows to return (default 50), most dimensions first"`
}

// ApplicationInput names an application, or none for all.
type ApplicationInput struct {
	Application string `json:"application,omitempty" jsonschema:"an application's id, or part of its name (case-insensitive, 'Revenue' finds 'Revenue Planning'); all when empty"`
	Limit       int    `json:"limit,omitempty" jsonschema:"most rows to return (default 50)"`
}

func (s *Server) addInventoryTools() {
	addTool(s, ScopeInventory, "blocks_by_dimensions", s.blocksByDimensions)
	addTool(s, ScopeInventory, "naming_violations", s.namingViolations)
}

// latestSnapshot is the newest inventory snapshot's id and time, or an
// error that says there is none yet.
func (s *Server) latestSnapshot(ctx context.Context) (int64, string, error) {
	var id int64
	var at time.Time
	err := s.cfg.DB.QueryRow(ctx, `SELECT id, taken_at FROM inventory_snapshots ORDER BY taken_at DESC, id DESC LIMIT 1`).Scan(&id, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", errors.New("no inventory snapshot yet: the inventory program takes them")
	}
	if err != nil {
		return 0, "", fmt.Errorf("find the latest inventory snapshot: %w", err)
	}
	return id, fmt.Sprintf("inventory snapshot %d taken at %s", id, at.UTC().Format(time.RFC3339)), nil
}

// appFilter keeps the application $2 names: its id, or part of its name.
const appFilter = `($2 = '' OR a.id = $2 OR a.name ILIKE '%' || replace(replace(replace($2, '\', '\\'), '%', '\%'), '_', '\_') || '%')`

func (s *Server) blocksByDimensions(ctx context.Context, in DimensionsInput) (Result, error) {
	typ := in.Type
	switch typ {
	case "":
		typ = "Metric"
	case "all":
		typ = ""
	}
	return s.inventoryTable(ctx, in.Limit, func(id int64, limit int) (report.Table, error) {
		t := report.Table{Title: "Blocks by number of dimensions",
			Columns: []string{"application", "application id", "block", "block id", "type", "dimensions", "dimension names"}}
		return queryTable(ctx, s.cfg.DB, t, `
			SELECT a.name, a.id, b.name, b.id, b.type, cardinality(b.dimensions), array_to_string(b.dimensions, ', ')
			FROM inventory_blocks b JOIN inventory_applications a ON a.snapshot_id = b.snapshot_id AND a.id = b.application_id
			WHERE b.snapshot_id = $1 AND b.dimensions IS NOT NULL AND ($3 = '' OR lower(b.type) = lower($3)) AND `+appFilter+`
			ORDER BY cardinality(b.dimensions) DESC, a.id, b.id
			LIMIT $4`, id, in.Application, typ, limit+1)
	})
}

func (s *Server) namingViolations(ctx context.Context, in ApplicationInput) (Result, error) {
	return s.inventoryTable(ctx, in.Limit, func(id int64, limit int) (report.Table, error) {
		t := report.Table{Title: "Naming convention violations",
			Columns: []string{"application", "application id", "block", "block id", "type", "severity", "finding"}}
		return queryTable(ctx, s.cfg.DB, t, `
			SELECT a.name, a.id, b.name, b.id, b.type, f.severity, f.title
			FROM inventory_snapshot_findings f
			JOIN inventory_blocks b ON b.snapshot_id = f.snapshot_id AND f.key = 'block:' || b.application_id || '/' || b.id
			JOIN inventory_applications a ON a.snapshot_id = b.snapshot_id AND a.id = b.application_id
			WHERE f.snapshot_id = $1 AND f.rule = $3 AND `+appFilter+`
			ORDER BY a.name, a.id, b.name, b.id
			LIMIT $4`, id, in.Application, inventory.RuleNaming, limit+1)
	})
}

// inventoryTable answers from the latest snapshot with query.
func (s *Server) inventoryTable(ctx context.Context, asked int, query func(id int64, limit int) (report.Table, error)) (Result, error) {
	limit, err := s.cfg.Limits.limit(asked)
	if err != nil {
		return Result{}, err
	}
	id, scope, err := s.latestSnapshot(ctx)
	if err != nil {
		return Result{}, err
	}
	t, err := query(id, limit)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, scope), nil
}
