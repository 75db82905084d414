// Package migrations holds the Postgres schema of the pipeline as numbered
// plain SQL files (goose format) embedded in the binary, and applies them.
//
// Each migration runs in its own transaction and is recorded in goose's
// version table (goose_db_version). Apply takes a session-level advisory lock
// first, so several processes starting at once against one database are safe:
// one applies, the others wait and then find nothing to do.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory lock key held while migrating: goose's default, so
// the goose CLI run by hand against the same database is excluded too.
const lockID = lock.DefaultLockID

// Apply brings the database at databaseURL up to the newest migration. It is
// a no-op when the schema is current. Concurrent callers (in one process or
// several) serialize on an advisory lock, polled every second for up to five
// minutes; a cancelled ctx stops the wait.
func Apply(ctx context.Context, databaseURL string) error {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("migrate: parse database URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return apply(ctx, db)
}

func apply(ctx context.Context, db *sql.DB) error {
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID),
		lock.WithLockTimeout(1, 300),
		lock.WithUnlockTimeout(1, 30),
	)
	if err != nil {
		return fmt.Errorf("migrate: session locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
