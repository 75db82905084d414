package checkpoint

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultLimit bounds History and Runs when the caller passes limit <= 0.
const defaultLimit = 100

// HistoryEntry is one operator change of a checkpoint.
type HistoryEntry struct {
	At       time.Time
	Name     string
	Operator string
	Reason   string
	From     time.Time // watermark before (zero = none)
	To       time.Time // watermark after (zero = none)
}

// RunRecord is a run as recorded in the run history.
type RunRecord struct {
	Run
	EndedAt  time.Time // zero while running
	Status   string    // StatusRunning, StatusOK, StatusFailed, StatusInterrupted, StatusSuperseded
	Error    string    // last error recorded by FailRun/InterruptRun, "" if none
	Restarts int       // RestartRun calls (cursor rejected by the API)
}

// History returns the operator changes of the checkpoint name ("" = all),
// newest first, at most limit (<= 0: 100).
func (s *Store) History(ctx context.Context, name string, limit int) ([]HistoryEntry, error) {
	out, err := list(ctx, s, name, limit, `
SELECT at, name, operator, reason, from_watermark, to_watermark
FROM checkpoint_history
WHERE $1 = '' OR name = $1
ORDER BY id DESC LIMIT $2`, func(row pgx.CollectableRow) (HistoryEntry, error) {
		var (
			h        HistoryEntry
			from, to *time.Time
		)
		err := row.Scan(&h.At, &h.Name, &h.Operator, &h.Reason, &from, &to)
		h.At, h.From, h.To = h.At.UTC(), utc(from), utc(to)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoint history of %q: %w", name, err)
	}
	return out, nil
}

// Runs returns the runs of the checkpoint name ("" = all), newest first, at
// most limit (<= 0: 100).
func (s *Store) Runs(ctx context.Context, name string, limit int) ([]RunRecord, error) {
	out, err := list(ctx, s, name, limit, `
SELECT id, name, mode, since, until, cursor, high, started_at, ended_at, status, error, restarts,
       pages, fetched, produced, dlq, duplicates, skipped
FROM extract_runs
WHERE $1 = '' OR name = $1
ORDER BY id DESC LIMIT $2`, func(row pgx.CollectableRow) (RunRecord, error) {
		var (
			r                  RunRecord
			until, high, ended *time.Time
			cursor             []byte
		)
		err := row.Scan(&r.ID, &r.Name, &r.Mode, &r.Since, &until, &cursor, &high, &r.StartedAt,
			&ended, &r.Status, &r.Error, &r.Restarts,
			&r.Pages, &r.Fetched, &r.Produced, &r.DLQ, &r.Duplicates, &r.Skipped)
		r.Since, r.StartedAt = r.Since.UTC(), r.StartedAt.UTC()
		r.Until, r.High, r.EndedAt = utc(until), utc(high), utc(ended)
		r.Cursor = string(cursor)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("runs of %q: %w", name, err)
	}
	return out, nil
}

// list runs query, whose $1 is name and $2 the limit (<= 0: defaultLimit),
// and reads its rows with scan: History and Runs list their tables alike.
func list[T any](ctx context.Context, s *Store, name string, limit int, query string, scan pgx.RowToFunc[T]) ([]T, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	rows, err := s.pool.Query(ctx, query, name, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scan)
}
