package kpi

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Store keeps the KPIs (kpi_daily) and the threshold alerts decided from
// them (kpi_alerts) in Postgres (migrations/00008_kpi.sql). It is safe for
// concurrent use when its DB is (a *pgxpool.Pool is).
type Store struct {
	db StoreDB
}

// StoreDB is what a Store needs of Postgres: a *pgxpool.Pool, a *pgx.Conn
// or a transaction.
type StoreDB interface {
	DB
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// NewStore returns a Store over db.
func NewStore(db StoreDB) *Store { return &Store{db: db} }

// Save writes values, replacing the ones of the same day and KPI: a day is
// recomputed while it is open and while its late events arrive.
func (s *Store) Save(ctx context.Context, values []Value) error {
	b := &pgx.Batch{}
	for _, v := range values {
		b.Queue(`
			INSERT INTO kpi_daily (day, kpi, value, target, status, source, computed_at)
			VALUES ($1, $2, $3, $4, $5, $6, now())
			ON CONFLICT (day, kpi) DO UPDATE SET value = excluded.value, target = excluded.target,
				status = excluded.status, source = excluded.source, computed_at = excluded.computed_at`,
			v.Day.Format(time.DateOnly), v.KPI, v.Value, v.Target, string(v.Status), v.Source)
	}
	return s.sendBatch(ctx, b, "save KPIs")
}

// Day returns the KPIs kept for day, in the order of Names.
func (s *Store) Day(ctx context.Context, day time.Time) ([]Value, error) {
	rows, err := s.db.Query(ctx, `
		SELECT day, kpi, value, target, status, source FROM kpi_daily
		WHERE day = $1 ORDER BY array_position($2::text[], kpi), kpi`, day.Format(time.DateOnly), Names)
	if err != nil {
		return nil, fmt.Errorf("read KPIs of %s: %w", day.Format(time.DateOnly), err)
	}
	values, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Value, error) {
		var v Value
		err := r.Scan(&v.Day, &v.KPI, &v.Value, &v.Target, &v.Status, &v.Source)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("read KPIs of %s: %w", day.Format(time.DateOnly), err)
	}
	return values, nil
}

// queued is an alert decided and not yet acknowledged by Kafka.
type queued struct {
	ID, Rule, Severity string
	Payload            []byte
}

// enqueue records alerts decided, each once: an alert whose id is already
// recorded (a rerun of the same day) is left as it is.
func (s *Store) enqueue(ctx context.Context, alerts []decided) error {
	b := &pgx.Batch{}
	for _, a := range alerts {
		b.Queue(`
			INSERT INTO kpi_alerts (alert_id, rule, kpi, day, severity, payload)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (alert_id) DO NOTHING`,
			a.ID, a.Rule, a.KPI, a.Day.Format(time.DateOnly), a.Severity, a.Payload)
	}
	return s.sendBatch(ctx, b, "record KPI alerts")
}

// pending returns the alerts recorded and not yet sent, oldest first.
func (s *Store) pending(ctx context.Context) ([]queued, error) {
	// A failed query returns rows holding its error: CollectRows returns it.
	rows, _ := s.db.Query(ctx, `
		SELECT alert_id, rule, severity, payload FROM kpi_alerts
		WHERE sent_at IS NULL ORDER BY created_at, alert_id`)
	q, err := pgx.CollectRows(rows, pgx.RowToStructByPos[queued])
	if err != nil {
		return nil, fmt.Errorf("read pending KPI alerts: %w", err)
	}
	return q, nil
}

// sent marks alerts as acknowledged by Kafka.
func (s *Store) sent(ctx context.Context, ids []string) error {
	if _, err := s.db.Exec(ctx, `UPDATE kpi_alerts SET sent_at = now() WHERE alert_id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("mark KPI alerts sent: %w", err)
	}
	return nil
}

func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch, what string) error {
	if b.Len() == 0 {
		return nil
	}
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
