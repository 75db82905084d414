package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps snapshots, their findings, the open findings and the alert
// outbox in Postgres (migrations/00007_inventory.sql, applied by the
// caller). It is safe for concurrent use; one process writes (the leader).
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Queued is an alert decided with a snapshot, waiting in the outbox.
type Queued struct {
	ID, Rule, Severity string
	RecordKey          string // the record's key: the finding's
	Payload            []byte
}

// Decision is what a snapshot decided: its findings, which of them open
// (with their alert), and the alerts to send.
type Decision struct {
	Findings []Finding
	AlertIDs map[string]string // rule|key -> the alert id of its episode
	Opened   []Finding         // state findings whose episode starts now
	Closed   []Finding         // open findings no longer found
	Alerts   []Queued
}

// Commit saves snap with its summary and findings, opens and closes the
// findings' episodes and queues the alerts, in one transaction, and sets
// snap.ID. decide computes the decision from the findings open before.
func (s *Store) Commit(ctx context.Context, snap *Snapshot, sum Summary, decide func(open map[string]OpenFinding) (Decision, error)) (Decision, error) {
	var d Decision
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		open, err := openFindings(ctx, tx)
		if err != nil {
			return err
		}
		if d, err = decide(open); err != nil {
			return err
		}
		if err := insertSnapshot(ctx, tx, snap, sum); err != nil {
			return err
		}
		return saveDecision(ctx, tx, snap, d)
	})
	if err != nil {
		return d, fmt.Errorf("save inventory snapshot: %w", err)
	}
	return d, nil
}

// OpenFinding is a finding open since OpenedAt (its episode).
type OpenFinding struct {
	Rule, Key, Severity, AlertID string
	OpenedAt                     time.Time
}

func openFindings(ctx context.Context, tx pgx.Tx) (map[string]OpenFinding, error) {
	rows, err := tx.Query(ctx, `SELECT rule, key, severity, opened_at, alert_id FROM inventory_open_findings FOR UPDATE`)
	if err != nil {
		return nil, fmt.Errorf("read open findings: %w", err)
	}
	out := map[string]OpenFinding{}
	for rows.Next() {
		var o OpenFinding
		if err := rows.Scan(&o.Rule, &o.Key, &o.Severity, &o.OpenedAt, &o.AlertID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read open findings: %w", err)
		}
		out[o.Rule+"|"+o.Key] = o
	}
	return out, rows.Err()
}

// insertSnapshot writes the snapshot row and its rows (COPY: a snapshot of
// 600 applications holds about 100,000 blocks).
func insertSnapshot(ctx context.Context, tx pgx.Tx, snap *Snapshot, sum Summary) error {
	var imports, views int
	for _, a := range snap.Applications {
		for _, b := range a.Blocks {
			imports += len(b.Imports)
			views += len(b.Views)
		}
	}
	err := tx.QueryRow(ctx, `INSERT INTO inventory_snapshots (taken_at, applications, blocks, metrics, avg_dimensions,
		large_applications, naming_violations, import_configurations, views) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`,
		snap.TakenAt, sum.Applications, sum.Blocks, sum.Metrics, sum.AvgDimensions, sum.LargeApplications, sum.NamingViolations,
		imports, views).Scan(&snap.ID)
	if err != nil {
		return fmt.Errorf("insert snapshot: %w", err)
	}
	var apps, blocks, imps, vws [][]any
	for _, a := range snap.Applications {
		apps = append(apps, []any{snap.ID, a.ID, a.Name, a.CreatedAt, a.ModifiedAt})
		for _, b := range a.Blocks {
			var dims []string // nil: NULL, not available
			if b.HasDimensions {
				dims = append([]string{}, b.Dimensions...)
			}
			blocks = append(blocks, []any{snap.ID, a.ID, b.ID, b.Name, b.Type, dims})
			for _, c := range b.Imports {
				imps = append(imps, []any{snap.ID, a.ID, b.ID, c.ID, c.Name})
			}
			for _, v := range b.Views {
				vws = append(vws, []any{snap.ID, a.ID, b.ID, v.ID, v.Name, v.Type})
			}
		}
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"inventory_applications", []string{"snapshot_id", "id", "name", "created_at", "modified_at"}, apps},
		{"inventory_blocks", []string{"snapshot_id", "application_id", "id", "name", "type", "dimensions"}, blocks},
		{"inventory_import_configurations", []string{"snapshot_id", "application_id", "block_id", "id", "name"}, imps},
		{"inventory_views", []string{"snapshot_id", "application_id", "block_id", "id", "name", "type"}, vws},
	} {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.table}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("insert %s: %w", t.table, err)
		}
	}
	return nil
}

// saveDecision records the snapshot's findings, the episodes opened and
// closed, and queues the alerts.
func saveDecision(ctx context.Context, tx pgx.Tx, snap *Snapshot, d Decision) error {
	b := &pgx.Batch{}
	for _, f := range d.Findings {
		b.Queue(`INSERT INTO inventory_snapshot_findings (snapshot_id, rule, key, severity, title, alert_id) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT DO NOTHING`, snap.ID, f.Rule, f.Key, f.Severity, f.Title, d.AlertIDs[f.Rule+"|"+f.Key])
	}
	for _, f := range d.Closed {
		b.Queue(`DELETE FROM inventory_open_findings WHERE rule = $1 AND key = $2`, f.Rule, f.Key)
	}
	for _, f := range d.Opened {
		b.Queue(`INSERT INTO inventory_open_findings (rule, key, severity, opened_at, alert_id) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (rule, key) DO UPDATE SET severity = $3, opened_at = $4, alert_id = $5`,
			f.Rule, f.Key, f.Severity, snap.TakenAt, d.AlertIDs[f.Rule+"|"+f.Key])
	}
	for _, q := range d.Alerts {
		b.Queue(`INSERT INTO inventory_outbox (alert_id, rule, severity, record_key, payload) VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`,
			q.ID, q.Rule, q.Severity, q.RecordKey, q.Payload)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save findings: %w", err)
	}
	return nil
}

// Pending returns the alerts in the outbox, oldest first.
func (s *Store) Pending(ctx context.Context) ([]Queued, error) {
	rows, err := s.pool.Query(ctx, `SELECT alert_id, rule, severity, record_key, payload FROM inventory_outbox ORDER BY created_at, alert_id`)
	if err != nil {
		return nil, fmt.Errorf("read inventory outbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Queued, error) {
		var q Queued
		return q, r.Scan(&q.ID, &q.Rule, &q.Severity, &q.RecordKey, &q.Payload)
	})
	if err != nil {
		return nil, fmt.Errorf("read inventory outbox: %w", err)
	}
	return out, nil
}

// Sent removes alerts Kafka acknowledged from the outbox.
func (s *Store) Sent(ctx context.Context, ids []string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM inventory_outbox WHERE alert_id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("mark inventory alerts sent: %w", err)
	}
	return nil
}

// Prune deletes the snapshots taken before before (ARCHIVE_RETENTION),
// but never the newest one, which the next diff needs. It returns how
// many it deleted.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM inventory_snapshots WHERE taken_at < $1
		AND id <> (SELECT max(id) FROM inventory_snapshots)`, before)
	if err != nil {
		return 0, fmt.Errorf("delete inventory snapshots before %s: %w", before.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// errNoSnapshot is returned when a snapshot asked for does not exist.
var errNoSnapshot = errors.New("no such snapshot")
