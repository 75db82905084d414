package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Decisions a reviewer records.
const (
	Approved = "approved"
	Rejected = "rejected"
)

// Attestation is a reviewer's decision on one report, as recorded in
// report_attestations.
type Attestation struct {
	ID             int64
	At             time.Time
	Reviewer       string
	Decision       string
	Comment        string
	ManifestSHA256 string // pins every file of the report
	Kind           string // from report.json, when the report has one
	Period         string
	Workspace      string
	Directory      string // where the report was when attested
}

// Attest verifies the report in dir (a changed, missing or extra file is
// refused with Verify's *VerifyError) and records the reviewer's decision
// with the manifest's hash.
func Attest(ctx context.Context, db *pgxpool.Pool, dir, reviewer, decision, comment string) (Attestation, error) {
	sum, err := Verify(dir)
	if err != nil {
		return Attestation{}, fmt.Errorf("attestation refused: %w", err)
	}
	a := Attestation{Reviewer: reviewer, Decision: decision, Comment: comment, ManifestSHA256: sum}
	if a.Directory, err = filepath.Abs(dir); err != nil {
		return Attestation{}, fmt.Errorf("attest %s: %w", dir, err)
	}
	if err := a.readDocument(dir); err != nil {
		return Attestation{}, err
	}
	err = db.QueryRow(ctx, `
		INSERT INTO report_attestations (reviewer, decision, comment, manifest_sha256, kind, period, workspace, directory)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, attested_at`,
		a.Reviewer, a.Decision, a.Comment, a.ManifestSHA256, a.Kind, a.Period, a.Workspace, a.Directory).Scan(&a.ID, &a.At)
	if err != nil {
		return Attestation{}, fmt.Errorf("record attestation: %w", err)
	}
	a.At = a.At.UTC()
	return a, nil
}

// readDocument fills kind, period and workspace from the report's JSON; a
// report written without it is attested by its hash alone.
func (a *Attestation) readDocument(dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, JSONFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("attest %s: %w", dir, err)
	}
	var d struct {
		Kind      string `json:"kind"`
		Workspace string `json:"workspace"`
		Period    struct {
			Name string `json:"name"`
		} `json:"period"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("attest %s: %s: %w", dir, JSONFile, err)
	}
	a.Kind, a.Period, a.Workspace = d.Kind, d.Period.Name, d.Workspace
	return nil
}

// Attestations lists the latest limit attestations, newest first.
func Attestations(ctx context.Context, db *pgxpool.Pool, limit int) ([]Attestation, error) {
	rows, err := db.Query(ctx, `
		SELECT id, attested_at, reviewer, decision, comment, manifest_sha256, kind, period, workspace, directory
		FROM report_attestations ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("attestations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Attestation, error) {
		var a Attestation
		err := row.Scan(&a.ID, &a.At, &a.Reviewer, &a.Decision, &a.Comment, &a.ManifestSHA256,
			&a.Kind, &a.Period, &a.Workspace, &a.Directory)
		a.At = a.At.UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("attestations: %w", err)
	}
	return out, nil
}
