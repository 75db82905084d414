package daemon

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/migrations"
)

// Database is DATABASE_URL, embedded in the Config of the daemons that keep
// state in Postgres. Errors show it redacted, never its password.
type Database struct {
	DatabaseURL string `env:"DATABASE_URL, default=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"`
}

// Migrate applies the migrations (safe when two processes start at once).
func (d Database) Migrate(ctx context.Context) error {
	if err := migrations.Apply(ctx, d.DatabaseURL); err != nil {
		return fmt.Errorf("migrate database at %s: %w", pgdsn.Redact(d.DatabaseURL), pgdsn.Scrub(err, d.DatabaseURL))
	}
	return nil
}

// Open migrates the database, then opens a connection pool, which the
// caller closes.
func (d Database) Open(ctx context.Context) (*pgxpool.Pool, error) {
	if err := d.Migrate(ctx); err != nil {
		return nil, err
	}
	pool, err := pgxpool.New(ctx, d.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect to database at %s: %w", pgdsn.Redact(d.DatabaseURL), pgdsn.Scrub(err, d.DatabaseURL))
	}
	return pool, nil
}
