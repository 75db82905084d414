package mcpserver

import (
	"context"
	"fmt"
	"time"

	"github.com/pigment-siem/pipeline/internal/report"
)

// queryTable is the reports' table query: the same cells, formatted alike.
var queryTable = report.QueryTable

// InactiveInput asks for the members without a login for some days.
type InactiveInput struct {
	Days int `json:"days,omitempty" jsonschema:"days without a successful login (default 60; 1 to 3650)"`
	AsOfInput
}

// AsOfInput asks for a state at a time.
type AsOfInput struct {
	AsOf  string `json:"as_of,omitempty" jsonschema:"the date or time the answer is wanted at (default now)"`
	Limit int    `json:"limit,omitempty" jsonschema:"most rows to return (default 50); the server caps it and says so in cap"`
}

// PeriodInput asks for what happened in a period.
type PeriodInput struct {
	Window
}

func (s *Server) addMemberTools() {
	addTool(s, ScopeEvents, "inactive_members", s.inactiveMembers)
	addTool(s, ScopeEvents, "privileged_members", s.privilegedMembers)
	addTool(s, ScopeEvents, "account_changes", s.accountChanges)
	addTool(s, ScopeEvents, "api_key_lifecycle", s.apiKeyLifecycle)
}

func (s *Server) inactiveMembers(ctx context.Context, in InactiveInput) (Result, error) {
	days := in.Days
	if days == 0 {
		days = 60
	}
	if days < 1 || days > 3650 {
		return Result{}, fmt.Errorf("days %d: want 1 to 3650", days)
	}
	return s.asOfTable(ctx, in.AsOfInput, func(end time.Time) (report.Table, error) {
		return report.InactiveMembers(ctx, s.cfg.DB, end, days)
	})
}

func (s *Server) privilegedMembers(ctx context.Context, in AsOfInput) (Result, error) {
	return s.asOfTable(ctx, in, func(end time.Time) (report.Table, error) { return report.PrivilegedMembers(ctx, s.cfg.DB, end) })
}

func (s *Server) accountChanges(ctx context.Context, in PeriodInput) (Result, error) {
	return s.periodTable(ctx, in, report.AccountChanges)
}

func (s *Server) apiKeyLifecycle(ctx context.Context, in PeriodInput) (Result, error) {
	return s.periodTable(ctx, in, report.APIKeyChanges)
}

// asOfTable answers a question about a state at a time with one of the
// report's tables.
func (s *Server) asOfTable(ctx context.Context, in AsOfInput, table func(end time.Time) (report.Table, error)) (Result, error) {
	end, err := asOf(in.AsOf, s.cfg.Now())
	if err != nil {
		return Result{}, err
	}
	limit, err := s.cfg.Limits.limit(in.Limit)
	if err != nil {
		return Result{}, err
	}
	t, err := table(end)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, "as of "+end.Format(time.RFC3339)), nil
}

// periodTable answers a question of a period with one of the report's
// tables.
func (s *Server) periodTable(ctx context.Context, in PeriodInput, table func(context.Context, report.DB, report.Period) (report.Table, error)) (Result, error) {
	return s.windowTable(in.Window, func(p report.Period, _ int) (report.Table, error) { return table(ctx, s.cfg.DB, p) })
}

// windowTable answers a question of the period w names: table reads at
// most limit+1 rows of period p, so the answer can say it was capped.
func (s *Server) windowTable(w Window, table func(p report.Period, limit int) (report.Table, error)) (Result, error) {
	p, limit, err := s.cfg.Limits.window(w, s.cfg.Now())
	if err != nil {
		return Result{}, err
	}
	t, err := table(p, limit)
	if err != nil {
		return Result{}, err
	}
	return s.cfg.Limits.newResult(t, limit, scopeOf(p)), nil
}
