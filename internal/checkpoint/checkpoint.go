// Package checkpoint keeps the extractor's progress in Postgres: per
// checkpoint name ("live", "backfill:<name>") a committed watermark, the run in
// progress (its fixed ingestedSince, page cursor and high-water mark), the IDs
// of events produced near the watermark (to recognise events re-served by
// overlapping queries), and the history of runs and of operator resets. The
// lock that keeps one active extractor per workspace is internal/leader's.
//
// It never calls the Pigment API. The schema comes from the migrations
// package.
//
// A run's life: BeginRun, then CommitPage after each page was produced (acks
// = all), RestartRun if the API rejects the cursor, and FinishRun after the
// last page, which advances the watermark. FailRun records an error and keeps
// the run in progress; the next start resumes it from Load's Checkpoint.Run.
// An operator's Reset supersedes the run in progress: every later write
// through the old *Run fails with ErrRunSuperseded.
package checkpoint

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrRunSuperseded is returned by the run methods (CommitPage, RestartRun,
// FinishRun, FailRun) when the run is no longer its checkpoint's run in
// progress: an operator reset the checkpoint, or another BeginRun replaced
// it. Nothing was written. The caller should stop the run and start over
// from Load.
var ErrRunSuperseded = errors.New("run superseded")

// Run modes.
const (
	ModeRun      = "run"
	ModeOnce     = "once"
	ModeBackfill = "backfill"
)

// Run statuses, as found in RunRecord.Status.
const (
	StatusRunning     = "running"
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	StatusSuperseded  = "superseded"
)

// Store reads and writes checkpoints. It is safe for concurrent use; a *Run
// it returns is not: one goroutine drives a run.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store using pool. The schema must have been applied
// (migrations.Apply).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Run is a run of the extractor over one checkpoint. Its fields mirror what
// is committed in Postgres (times in UTC, truncated to microseconds as
// stored); the Store's run methods update them after each successful commit.
type Run struct {
	ID        int64
	Name      string    // checkpoint name: "live" or "backfill:<name>"
	Mode      string    // "run" | "once" | "backfill"
	Since     time.Time // the run's fixed ingestedSince
	Until     time.Time // backfill upper bound (zero for live)
	Cursor    string    // next page cursor ("" = start from the first page)
	High      time.Time // newest ingestionTimestamp produced so far in this run (zero = none)
	StartedAt time.Time

	Pages, Fetched, Produced, DLQ, Duplicates, Skipped int64 // counters so far
}

// Checkpoint is the committed progress of one name.
type Checkpoint struct {
	Name string
	// Watermark: every event with ingestion < Watermark - overlap is known
	// produced; zero = never ran.
	Watermark time.Time
	// SeenHigh is the newest ingestion time produced since the last Reset
	// (as stored, microseconds); it may lie beyond the Watermark, which is
	// bounded by the local clock. Zero: none.
	SeenHigh  time.Time
	Complete  bool // backfills: finished
	Run       *Run // the run in progress, nil if none
	UpdatedAt time.Time
}

// Seen is an event produced on a page.
type Seen struct {
	ID        string
	Ingestion time.Time
}

// PageCommit is what one produced page changes.
type PageCommit struct {
	NextCursor string
	High       time.Time // new run high-water mark (max so far); zero = none
	Produced   []Seen    // events produced on this page
	// Remembered are dead-lettered elements without an eventId, recorded
	// as seen under a key of their own (not counted as produced) so that
	// one served again is not dead-lettered twice.
	Remembered []Seen
	Fetched    int
	DLQ        int
	Duplicates int
	Skipped    int
}

// checkpointSelect reads a checkpoint with its run in progress; the run's
// cursor and high-water mark come from the checkpoint row, which is the
// authority for progress.
const checkpointSelect = `
SELECT c.name, c.watermark, c.seen_high, c.complete, c.updated_at,
       r.id, r.mode, c.run_since, c.run_until, c.run_cursor, c.run_high, r.started_at,
       r.pages, r.fetched, r.produced, r.dlq, r.duplicates, r.skipped
FROM checkpoints c LEFT JOIN extract_runs r ON r.id = c.run_id`

func scanCheckpoint(row pgx.Row) (Checkpoint, error) {
	var (
		cp                    Checkpoint
		watermark, high       *time.Time
		seenHigh              *time.Time
		since, until, started *time.Time
		runID                 *int64
		mode                  *string
		cursor                []byte
		counters              [6]*int64
	)
	err := row.Scan(&cp.Name, &watermark, &seenHigh, &cp.Complete, &cp.UpdatedAt,
		&runID, &mode, &since, &until, &cursor, &high, &started,
		&counters[0], &counters[1], &counters[2], &counters[3], &counters[4], &counters[5])
	if err != nil {
		return Checkpoint{}, err
	}
	cp.Watermark, cp.SeenHigh = utc(watermark), utc(seenHigh)
	cp.UpdatedAt = cp.UpdatedAt.UTC()
	if runID != nil {
		cp.Run = &Run{
			ID: *runID, Name: cp.Name, Mode: deref(mode),
			Since: utc(since), Until: utc(until), Cursor: string(cursor), High: utc(high),
			StartedAt: utc(started),
			Pages:     deref(counters[0]), Fetched: deref(counters[1]), Produced: deref(counters[2]),
			DLQ: deref(counters[3]), Duplicates: deref(counters[4]), Skipped: deref(counters[5]),
		}
	}
	return cp, nil
}

// Load returns the checkpoint called name, or Checkpoint{Name: name} if it
// does not exist yet.
func (s *Store) Load(ctx context.Context, name string) (Checkpoint, error) {
	cp, err := scanCheckpoint(s.pool.QueryRow(ctx, checkpointSelect+` WHERE c.name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return Checkpoint{Name: name}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("load checkpoint %q: %w", name, err)
	}
	return cp, nil
}

// List returns every checkpoint, ordered by name.
func (s *Store) List(ctx context.Context) ([]Checkpoint, error) {
	rows, err := s.pool.Query(ctx, checkpointSelect+` ORDER BY c.name`)
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		cp, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("list checkpoints: %w", err)
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	return out, nil
}

// SeenIDs reports which of ids are already recorded as produced for the
// checkpoint name (by any run since the last prune or Reset).
func (s *Store) SeenIDs(ctx context.Context, name string, ids []string) (map[string]struct{}, error) {
	seen := make(map[string]struct{})
	if len(ids) == 0 {
		return seen, nil
	}
	keys := make([]pgtype.UUID, len(ids))
	byKey := make(map[[16]byte]string, len(ids))
	for i, id := range ids {
		keys[i] = eventKey(id)
		byKey[keys[i].Bytes] = id
	}
	// QueryExecModeExec plans with the actual array each time: the generic
	// plan Postgres switches to for a cached statement scans the table and
	// gets slower with every page.
	rows, err := s.pool.Query(ctx,
		`SELECT event_key FROM checkpoint_seen WHERE name = $1 AND event_key = ANY($2::uuid[])`,
		pgx.QueryExecModeExec, name, keys)
	if err != nil {
		return nil, fmt.Errorf("seen ids of %q: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k pgtype.UUID
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("seen ids of %q: %w", name, err)
		}
		seen[byKey[k.Bytes]] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seen ids of %q: %w", name, err)
	}
	return seen, nil
}

// eventKey is the stored form of an event ID: the first 16 bytes of its
// SHA-256, as a uuid. A fixed-size key keeps the index small and each page's
// commit cheap (a tenth faster than text IDs, and flat as the table grows).
// A collision would skip an event as a duplicate; with 128 bits, even 10^10
// IDs collide with probability below 10^-18.
func eventKey(id string) pgtype.UUID {
	sum := sha256.Sum256([]byte(id))
	return pgtype.UUID{Bytes: [16]byte(sum[:16]), Valid: true}
}

// inTx runs fn in a transaction, committed if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// nullTime maps the zero time to SQL NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Stored is t as Postgres keeps it (timestamptz: microseconds, UTC). Compare
// a time read back from the store only with Stored of an original, never with
// the original itself: the API sends up to nanoseconds.
func Stored(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
