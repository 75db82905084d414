package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/report"
)

// NoInput is the input of a tool that takes none.
type NoInput struct{}

// ReportSummary is the latest report: its sections' summaries and findings
// (not its tables: search the archive for rows), and its attestations.
type ReportSummary struct {
	Source       string           `json:"source" jsonschema:"where the summary comes from: the report directory (MCP_REPORTS_DIR) or, without one, the attestations alone"`
	Kind         string           `json:"kind,omitempty" jsonschema:"weekly or monthly"`
	Title        string           `json:"title,omitempty"`
	Period       string           `json:"period,omitempty"`
	Workspace    string           `json:"workspace,omitempty"`
	GeneratedAt  string           `json:"generatedAt,omitempty"`
	Complete     bool             `json:"complete" jsonschema:"false when the report was written before its period was complete"`
	Incomplete   []string         `json:"incomplete,omitempty"`
	Verified     string           `json:"verified,omitempty" jsonschema:"the result of checking the report's files against its manifest"`
	Sections     []SectionSummary `json:"sections,omitempty"`
	Attestations []Attestation    `json:"attestations" jsonschema:"reviewers' decisions on this report (with a directory) or the latest ones (without), newest first"`
}

// SectionSummary is one section of a report, without its tables.
type SectionSummary struct {
	ID       string           `json:"id"`
	Title    string           `json:"title"`
	Summary  string           `json:"summary,omitempty"`
	Pending  string           `json:"pending,omitempty"`
	Findings []report.Finding `json:"findings,omitempty"`
}

// Attestation is a reviewer's decision, as report_attestations holds it.
type Attestation struct {
	AttestedAt     time.Time `json:"attestedAt"`
	Reviewer       string    `json:"reviewer"`
	Decision       string    `json:"decision"`
	Comment        string    `json:"comment,omitempty"`
	Kind           string    `json:"kind"`
	Period         string    `json:"period"`
	ManifestSHA256 string    `json:"manifestSha256"`
}

// attestationsShown is how many attestations latest_report lists.
const attestationsShown = 10

func (s *Server) addReportTools() {
	addTool(s, ScopeReports, "kpis", s.kpis)
	addTool(s, ScopeReports, "latest_report", s.latestReport)
}

func (s *Server) kpis(ctx context.Context, in PeriodInput) (Result, error) {
	return s.periodTable(ctx, in, report.KPITable)
}

func (s *Server) latestReport(ctx context.Context, _ NoInput) (ReportSummary, error) {
	if s.cfg.ReportsDir == "" {
		atts, err := s.attestations(ctx, "")
		return ReportSummary{Source: "report_attestations (no MCP_REPORTS_DIR)", Attestations: atts}, err
	}
	dir, doc, err := newestReport(s.cfg.ReportsDir)
	if err != nil {
		return ReportSummary{}, err
	}
	sum := ReportSummary{Source: "report directory " + filepath.Base(dir), Kind: string(doc.Kind), Title: doc.Title,
		Period: doc.Period.Name, Workspace: doc.Workspace, GeneratedAt: doc.GeneratedAt.UTC().Format(time.RFC3339),
		Complete: doc.Complete, Incomplete: doc.Incomplete}
	for _, sec := range doc.Sections {
		sum.Sections = append(sum.Sections, SectionSummary{ID: sec.ID, Title: sec.Title, Summary: sec.Summary, Pending: sec.Pending, Findings: sec.Findings})
	}
	manifest, err := report.Verify(dir)
	if err != nil {
		sum.Verified = "does not match its manifest: " + err.Error()
		sum.Attestations = []Attestation{}
		return sum, nil
	}
	sum.Verified = "every file matches manifest.sha256 (SHA-256 " + manifest + ")"
	sum.Attestations, err = s.attestations(ctx, manifest)
	return sum, err
}

// newestReport finds the report.json under root generated last.
func newestReport(root string) (string, report.Document, error) {
	matches, err := filepath.Glob(filepath.Join(root, "*", report.JSONFile))
	if err != nil {
		return "", report.Document{}, fmt.Errorf("find reports: %w", err)
	}
	var best string
	var doc report.Document
	for _, m := range matches {
		raw, err := os.ReadFile(m)
		if err != nil {
			return "", report.Document{}, fmt.Errorf("read report: %w", err)
		}
		var d report.Document
		if json.Unmarshal(raw, &d) != nil {
			continue // not a report: another program's file
		}
		if best == "" || d.GeneratedAt.After(doc.GeneratedAt) {
			best, doc = filepath.Dir(m), d
		}
	}
	if best == "" {
		return "", report.Document{}, errors.New("no report in MCP_REPORTS_DIR yet")
	}
	return best, doc, nil
}

// attestations lists the newest attestations of the report whose manifest
// hashes to manifest, or of any report when manifest is "".
func (s *Server) attestations(ctx context.Context, manifest string) ([]Attestation, error) {
	rows, err := s.cfg.DB.Query(ctx, `
		SELECT attested_at, reviewer, decision, comment, kind, period, manifest_sha256 FROM report_attestations
		WHERE $1 = '' OR manifest_sha256 = $1 ORDER BY attested_at DESC, id DESC LIMIT $2`, manifest, attestationsShown)
	if err != nil {
		return nil, fmt.Errorf("read attestations: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Attestation])
	if err != nil {
		return nil, fmt.Errorf("read attestations: %w", err)
	}
	if out == nil {
		out = []Attestation{}
	}
	for i := range out {
		out[i].AttestedAt = out[i].AttestedAt.UTC() // pgx reads timestamptz in the process's zone
	}
	return out, nil
}
