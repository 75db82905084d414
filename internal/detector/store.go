package detector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps the detector's state in Postgres together with the Kafka
// offsets it reflects, and an outbox of the alerts decided from it, so that
// a restart neither loses nor doubles alerts: state, offsets and new alerts
// are saved in one transaction; alerts are produced from the outbox and
// removed once Kafka acknowledged them. It is safe for concurrent use.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns a Store on pool (migrations applied by the caller).
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Snapshot is the detector's state as of Offsets: the next offset to read,
// per partition of the events topic. Complete is, per partition, the newest
// completeBefore header read there (see session.watermark).
type Snapshot struct {
	State     []byte
	Offsets   map[int]int64
	Complete  map[int]time.Time
	Watermark time.Time
	// Newest is the newest event time read: with Complete, what the next
	// watermark is computed from.
	Newest time.Time
}

// Queued is a decided alert waiting in the outbox.
type Queued struct {
	ID      string
	Payload []byte
}

// Load returns the saved snapshot of name; ok is false when there is none.
func (s *Store) Load(ctx context.Context, name string) (snap Snapshot, ok bool, err error) {
	var offsets, complete []byte
	var wm, newest *time.Time
	err = s.pool.QueryRow(ctx, `SELECT state, offsets, complete, watermark, newest FROM detect_state WHERE name = $1`, name).
		Scan(&snap.State, &offsets, &complete, &wm, &newest)
	if errors.Is(err, pgx.ErrNoRows) {
		return Snapshot{Offsets: map[int]int64{}, Complete: map[int]time.Time{}}, false, nil
	}
	if err != nil {
		return snap, false, fmt.Errorf("load detector state %q: %w", name, err)
	}
	if err := json.Unmarshal(offsets, &snap.Offsets); err != nil {
		return snap, false, fmt.Errorf("load detector state %q: offsets: %w", name, err)
	}
	if err := json.Unmarshal(complete, &snap.Complete); err != nil {
		return snap, false, fmt.Errorf("load detector state %q: complete: %w", name, err)
	}
	if wm != nil {
		snap.Watermark = wm.UTC()
	}
	if newest != nil {
		snap.Newest = newest.UTC()
	}
	return snap, true, nil
}

// Save stores snap and queues alerts, in one transaction. Queuing an alert
// already queued (same ID) is a no-op.
func (s *Store) Save(ctx context.Context, name string, snap Snapshot, alerts []Queued) error {
	offsets, err := json.Marshal(snap.Offsets)
	if err != nil {
		return fmt.Errorf("save detector state %q: %w", name, err)
	}
	complete, err := json.Marshal(snap.Complete)
	if err != nil {
		return fmt.Errorf("save detector state %q: %w", name, err)
	}
	wm, newest := nullTime(snap.Watermark), nullTime(snap.Newest)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO detect_state (name, state, offsets, complete, watermark, newest, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, now())
			ON CONFLICT (name) DO UPDATE SET state = $2, offsets = $3, complete = $4, watermark = $5, newest = $6, updated_at = now()`,
			name, snap.State, offsets, complete, wm, newest); err != nil {
			return fmt.Errorf("save detector state %q: %w", name, err)
		}
		for _, a := range alerts {
			if _, err := tx.Exec(ctx, `INSERT INTO detect_outbox (name, alert_id, payload) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, name, a.ID, a.Payload); err != nil {
				return fmt.Errorf("queue alert %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

// Pending returns the queued alerts of name, oldest first.
func (s *Store) Pending(ctx context.Context, name string) ([]Queued, error) {
	rows, err := s.pool.Query(ctx, `SELECT alert_id, payload FROM detect_outbox WHERE name = $1 ORDER BY created_at, alert_id`, name)
	if err != nil {
		return nil, fmt.Errorf("pending alerts of %q: %w", name, err)
	}
	alerts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Queued, error) {
		var a Queued
		return a, r.Scan(&a.ID, &a.Payload)
	})
	if err != nil {
		return nil, fmt.Errorf("pending alerts of %q: %w", name, err)
	}
	return alerts, nil
}

// Sent removes alerts Kafka acknowledged from the outbox.
func (s *Store) Sent(ctx context.Context, name string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM detect_outbox WHERE name = $1 AND alert_id = ANY($2)`, name, ids); err != nil {
		return fmt.Errorf("mark %d alerts sent: %w", len(ids), err)
	}
	return nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
