package report

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// undefinedTable is Postgres's SQLSTATE for a missing table: the archive
// was never set up in that database.
const undefinedTable = "42P01"

// Titles of the two reports, as the seed names them.
var titles = map[Kind]string{
	Weekly:  "Weekly reliability check",
	Monthly: "Monthly compliance audit",
}

// Request is what a report is made of, besides the archive: its kind and
// period, who it is for, when it counts as generated, and the coverage
// the completeness check found.
type Request struct {
	Kind        Kind
	Period      Period
	Workspace   string
	GeneratedAt time.Time // --as-of, else now
	Version     string
	Parameters  []Field
	Coverage    Coverage
	// Incomplete are the completeness check's reasons; a report with any
	// is written only with --allow-incomplete, marked not Complete.
	Incomplete []string
}

// Beginner starts a transaction: a *pgxpool.Pool or a *pgx.Conn.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Generate builds the Document of r from the archive. Every section and the
// coverage counts read one repeatable-read snapshot, so they agree with
// each other even while forward keeps writing.
func Generate(ctx context.Context, archive Beginner, r Request) (*Document, error) {
	tx, err := archive.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to undo
	d := &Document{
		Kind: r.Kind, Title: titles[r.Kind], Workspace: r.Workspace, Period: r.Period,
		GeneratedAt: r.GeneratedAt.UTC(), Version: r.Version, Parameters: r.Parameters,
		Complete: len(r.Incomplete) == 0, Incomplete: r.Incomplete, Coverage: r.Coverage,
		SignOff: r.Kind == Monthly,
	}
	if d.Coverage.Runs == nil {
		d.Coverage.Runs = []Run{}
	}
	if d.Coverage.Topics == nil {
		d.Coverage.Topics = []TopicProgress{}
	}
	d.Coverage.Events, d.Coverage.Alerts, d.Coverage.DeadLetters, err = periodCounts(ctx, tx, r.Period)
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == undefinedTable {
		return nil, fmt.Errorf("the archive database has no archive (%s): run forward with SINK=postgres, or forward setup, against it first", pgErr.Message)
	}
	if err != nil {
		return nil, fmt.Errorf("archive counts of %s: %w", r.Period.Name, err)
	}
	build := WeeklySections
	if r.Kind == Monthly {
		build = MonthlySections
	}
	if d.Sections, err = build(ctx, tx, r.Period); err != nil {
		return nil, err
	}
	return d, nil
}

// Version is the product version a report states: override when set (the
// build's -ldflags "-X main.version=..."), else the module version and VCS
// revision the Go toolchain stamped into the binary, "+dirty" when built
// from a modified tree.
func Version(override string) string {
	if override != "" {
		return override
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := "pipeline " + info.Main.Version
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v
}
