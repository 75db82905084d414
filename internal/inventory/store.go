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
// outbox in Postgres (migrations/00009_inventory.sql, applied by the
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
// closed, and queues the alerts: one statement each, whatever the count
// (a first snapshot of a large workspace can hold 100,000 findings).
func saveDecision(ctx context.Context, tx pgx.Tx, snap *Snapshot, d Decision) error {
	var f, o, c, q columns
	for _, x := range d.Findings {
		f.add(x.Rule, x.Key, x.Severity, x.Title, d.AlertIDs[x.Rule+"|"+x.Key])
	}
	for _, x := range d.Opened {
		o.add(x.Rule, x.Key, x.Severity, d.AlertIDs[x.Rule+"|"+x.Key])
	}
	for _, x := range d.Closed {
		c.add(x.Rule, x.Key)
	}
	payloads := make([][]byte, len(d.Alerts))
	for i, x := range d.Alerts {
		q.add(x.ID, x.Rule, x.Severity, x.RecordKey)
		payloads[i] = x.Payload
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO inventory_snapshot_findings (snapshot_id, rule, key, severity, title, alert_id)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) ON CONFLICT DO NOTHING`,
		snap.ID, f.col(0), f.col(1), f.col(2), f.col(3), f.col(4))
	b.Queue(`DELETE FROM inventory_open_findings o USING unnest($1::text[], $2::text[]) AS c(rule, key)
		WHERE o.rule = c.rule AND o.key = c.key`, c.col(0), c.col(1))
	b.Queue(`INSERT INTO inventory_open_findings (rule, key, severity, opened_at, alert_id)
		SELECT r, k, s, $1, a FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS o(r, k, s, a)
		ON CONFLICT (rule, key) DO UPDATE SET severity = excluded.severity, opened_at = excluded.opened_at, alert_id = excluded.alert_id`,
		snap.TakenAt, o.col(0), o.col(1), o.col(2), o.col(3))
	b.Queue(`INSERT INTO inventory_outbox (alert_id, rule, severity, record_key, payload)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) ON CONFLICT DO NOTHING`,
		q.col(0), q.col(1), q.col(2), q.col(3), payloads)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save findings: %w", err)
	}
	return nil
}

// columns gathers rows of text column by column, for unnest.
type columns [][]string

func (c *columns) add(values ...string) {
	for len(*c) < len(values) {
		*c = append(*c, []string{})
	}
	for i, v := range values {
		(*c)[i] = append((*c)[i], v)
	}
}

// col is column i, empty (not NULL) when no row was added.
func (c columns) col(i int) []string {
	if i < len(c) {
		return c[i]
	}
	return []string{}
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
