package migrations_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

var tables = []string{
	"checkpoints", "extract_runs", "checkpoint_seen", "checkpoint_history",
	"rate_budget", "rate_budget_log",
}

func TestApplyConcurrent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := testkit.MustPostgres(t)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = migrations.Apply(ctx, url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply #%d = %v, want nil", i, err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	before := applied(t, conn)
	if err := migrations.Apply(ctx, url); err != nil {
		t.Fatalf("second Apply = %v, want nil", err)
	}
	if after := applied(t, conn); after != before {
		t.Errorf("goose_db_version rows after a second Apply = %d, want %d", after, before)
	}
	for _, table := range tables {
		var n int
		err := conn.QueryRow(ctx,
			`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1`,
			table).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("table %s present %d times, want 1", table, n)
		}
	}
}

func applied(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	err := conn.QueryRow(context.Background(),
		`SELECT count(*) FROM goose_db_version WHERE is_applied AND version_id > 0`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("applied migrations = %d, want >= 2", n)
	}
	return n
}

func TestApplyBadURL(t *testing.T) {
	t.Parallel()
	if err := migrations.Apply(context.Background(), "postgres://%zz"); err == nil {
		t.Error("Apply(bad URL) = nil, want error")
	}
}
