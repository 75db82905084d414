package report

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// DB is what the section builders read the archive through: a
// *pgxpool.Pool, a *pgx.Conn or a transaction (a repeatable-read one makes
// every section see the same archive).
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
