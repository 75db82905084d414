package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// BeginRun records a new run (a row of extract_runs) and makes it the run in
// progress of the checkpoint name, creating the checkpoint if needed. A run
// already in progress is replaced: its row is marked "superseded" and its
// *Run gets ErrRunSuperseded from then on. To resume a run after a failure or
// a crash, use Load(name).Run instead of calling BeginRun.
//
// mode is ModeRun, ModeOnce or ModeBackfill; since must be set; until must be
// set (and after since) for backfills and is ignored otherwise. Postgres keeps
// microseconds: the returned Run holds the stored (truncated) Since and Until,
// equal to what Load returns later; use them, not the arguments, in requests.
func (s *Store) BeginRun(ctx context.Context, name, mode string, since, until time.Time) (*Run, error) {
	if err := validateRun(name, mode, since, until); err != nil {
		return nil, fmt.Errorf("begin run of %q: %w", name, err)
	}
	run := &Run{Name: name, Mode: mode, Since: since.UTC()}
	if mode == ModeBackfill {
		run.Until = until.UTC()
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, _, err := supersede(ctx, tx, name); err != nil {
			return err
		}
		var until *time.Time
		err := tx.QueryRow(ctx, `
INSERT INTO extract_runs (name, mode, since, until) VALUES ($1, $2, $3, $4)
RETURNING id, started_at, since, until`, name, mode, run.Since, nullTime(run.Until)).Scan(
			&run.ID, &run.StartedAt, &run.Since, &until)
		if err != nil {
			return err
		}
		// The stored values (microseconds), so that a resumed run sends the
		// very same ingestedSince.
		run.Since, run.Until = run.Since.UTC(), utc(until)
		_, err = tx.Exec(ctx, `
UPDATE checkpoints
SET run_id = $2, run_since = $3, run_until = $4, run_cursor = '', run_high = NULL, updated_at = now()
WHERE name = $1`, name, run.ID, run.Since, nullTime(run.Until))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin run of %q: %w", name, err)
	}
	run.StartedAt = run.StartedAt.UTC()
	return run, nil
}

// Reset is the operator's command: it sets the checkpoint's watermark to to
// (zero = as if it never ran) and clears Complete, supersedes the run in
// progress (its row is marked "superseded"; its *Run gets ErrRunSuperseded
// from then on), forgets the seen IDs and writes a checkpoint_history entry.
// The checkpoint is created if it does not exist. operator and reason are
// required. Reset waits for a CommitPage of the run in progress to finish,
// never interleaves with it.
func (s *Store) Reset(ctx context.Context, name string, to time.Time, operator, reason string) error {
	operator, reason = strings.TrimSpace(operator), strings.TrimSpace(reason)
	switch {
	case name == "":
		return errors.New("reset checkpoint: empty name")
	case operator == "":
		return fmt.Errorf("reset checkpoint %q: operator is required", name)
	case reason == "":
		return fmt.Errorf("reset checkpoint %q: reason is required", name)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, runID, err := supersede(ctx, tx, name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
UPDATE checkpoints
SET watermark = $2, complete = false, run_id = NULL, run_since = NULL, run_until = NULL,
    run_cursor = NULL, run_high = NULL, seen_high = NULL, updated_at = now()
WHERE name = $1`, name, nullTime(to)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM checkpoint_seen WHERE name = $1`, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
INSERT INTO checkpoint_history (name, operator, reason, from_watermark, to_watermark, superseded_run)
VALUES ($1, $2, $3, $4, $5, $6)`, name, operator, reason, old, nullTime(to), runID)
		return err
	})
	if err != nil {
		return fmt.Errorf("reset checkpoint %q: %w", name, err)
	}
	return nil
}

// supersede locks the row of the checkpoint name in tx, creating it if
// needed, and marks its run in progress, if any, superseded. It returns
// the watermark and the ID of that run (nil when none). BeginRun and Reset
// both take over a checkpoint this way, so a run never outlives either.
func supersede(ctx context.Context, tx pgx.Tx, name string) (watermark *time.Time, runID *int64, err error) {
	err = tx.QueryRow(ctx, `
INSERT INTO checkpoints (name) VALUES ($1)
ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
RETURNING watermark, run_id`, name).Scan(&watermark, &runID)
	if err != nil || runID == nil {
		return watermark, runID, err
	}
	_, err = tx.Exec(ctx, `
UPDATE extract_runs SET status = 'superseded', ended_at = COALESCE(ended_at, now())
WHERE id = $1`, *runID)
	return watermark, runID, err
}

func validateRun(name, mode string, since, until time.Time) error {
	switch {
	case name == "":
		return errors.New("empty checkpoint name")
	case mode != ModeRun && mode != ModeOnce && mode != ModeBackfill:
		return fmt.Errorf("unknown mode %q", mode)
	case since.IsZero():
		return errors.New("zero since")
	case mode == ModeBackfill && !until.After(since):
		return fmt.Errorf("backfill until %v is not after since %v", until, since)
	}
	return nil
}

// commitPageSQL is one statement, hence one transaction: the checkpoint
// update (guarded by run_id, which also row-locks the checkpoint against a
// concurrent Reset), the seen IDs and the run's counters. When the run is no
// longer in progress, c is empty and nothing at all is written.
const commitPageSQL = `
WITH c AS (
    UPDATE checkpoints
    SET run_cursor = $3, run_high = GREATEST(run_high, $4), seen_high = GREATEST(seen_high, $13),
        updated_at = now()
    WHERE name = $1 AND run_id = $2
    RETURNING name
), seen AS (
    INSERT INTO checkpoint_seen (name, event_key, ingestion)
    SELECT c.name, u.id, u.ingestion
    FROM c, unnest($5::uuid[], $6::timestamptz[]) AS u(id, ingestion)
    ON CONFLICT (name, event_key) DO NOTHING
)
UPDATE extract_runs r
SET cursor = $3, high = GREATEST(r.high, $4), status = 'running', ended_at = NULL,
    pages = r.pages + $12, fetched = r.fetched + $7, produced = r.produced + $8,
    dlq = r.dlq + $9, duplicates = r.duplicates + $10, skipped = r.skipped + $11
FROM c
WHERE r.id = $2`

// CommitPage records a page whose events were produced: in one transaction
// it records p.Produced as seen, moves the run's cursor to p.NextCursor and
// its high-water mark to max(High, p.High), and adds the page to the run's
// counters; then it updates *run to match. It returns ErrRunSuperseded, and
// writes nothing, if run is no longer the checkpoint's run in progress.
func (s *Store) CommitPage(ctx context.Context, run *Run, p PageCommit) error {
	return s.CommitPages(ctx, run, p, 1)
}

// CommitPages is CommitPage for several consecutive pages folded into one
// PageCommit (the last page's cursor, all produced IDs, summed counters):
// one transaction where a busy extractor would otherwise need several.
func (s *Store) CommitPages(ctx context.Context, run *Run, p PageCommit, pages int) error {
	ids := make([]pgtype.UUID, 0, len(p.Produced)+len(p.Remembered))
	ingestions := make([]time.Time, 0, cap(ids))
	var seenHigh time.Time
	for _, e := range p.Produced {
		ids, ingestions = append(ids, eventKey(e.ID)), append(ingestions, e.Ingestion)
		seenHigh = maxTime(seenHigh, e.Ingestion)
	}
	for _, e := range p.Remembered {
		ids, ingestions = append(ids, eventKey(e.ID)), append(ingestions, e.Ingestion)
	}
	// The cursor goes as bytes: the API may send any string, NUL included,
	// which a text column refuses.
	tag, err := s.pool.Exec(ctx, commitPageSQL, run.Name, run.ID, []byte(p.NextCursor), nullTime(p.High),
		ids, ingestions, p.Fetched, len(p.Produced), p.DLQ, p.Duplicates, p.Skipped, pages, nullTime(seenHigh))
	if err != nil {
		return fmt.Errorf("commit page of run %d (%q): %w", run.ID, run.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("commit page of run %d (%q): %w", run.ID, run.Name, ErrRunSuperseded)
	}
	run.Cursor = p.NextCursor
	run.High = maxTime(run.High, Stored(p.High))
	run.Pages += int64(pages)
	run.Fetched += int64(p.Fetched)
	run.Produced += int64(len(p.Produced))
	run.DLQ += int64(p.DLQ)
	run.Duplicates += int64(p.Duplicates)
	run.Skipped += int64(p.Skipped)
	return nil
}

// RestartRun handles a cursor the API rejected: the run starts again from
// the first page (cursor "") from since, normally the run's own Since, or a
// later one when that has aged out of the API's lookback meanwhile. Seen IDs
// and the high-water mark are kept, so re-served events are recognised as
// duplicates. ErrRunSuperseded as for CommitPage.
func (s *Store) RestartRun(ctx context.Context, run *Run, since time.Time) error {
	since = Stored(since)
	tag, err := s.pool.Exec(ctx, `
WITH c AS (
    UPDATE checkpoints SET run_cursor = '', run_since = $3, updated_at = now()
    WHERE name = $1 AND run_id = $2
    RETURNING name
)
UPDATE extract_runs r SET cursor = '', since = $3, restarts = r.restarts + 1, status = 'running', ended_at = NULL
FROM c WHERE r.id = $2`, run.Name, run.ID, since)
	if err != nil {
		return fmt.Errorf("restart run %d (%q): %w", run.ID, run.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("restart run %d (%q): %w", run.ID, run.Name, ErrRunSuperseded)
	}
	run.Cursor, run.Since = "", since
	return nil
}

// FinishRun ends a run whose last page was committed. In one transaction it
// advances the watermark (live and once runs: max(old watermark, run's
// high-water mark as committed), but never past upTo unless upTo is zero:
// a watermark already beyond it, from an older version or an operator's
// reset into the future, comes back to it; backfills: Until, and Complete
// is set),
// clears the run in progress, marks the run's row "ok" and prunes the seen
// IDs of the checkpoint with ingestion < watermark - overlap. It returns the
// new watermark (UTC). ErrRunSuperseded as for CommitPage.
func (s *Store) FinishRun(ctx context.Context, run *Run, overlap time.Duration, upTo time.Time) (time.Time, error) {
	var watermark time.Time
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var old, high, until *time.Time
		err := tx.QueryRow(ctx, `
SELECT watermark, run_high, run_until FROM checkpoints
WHERE name = $1 AND run_id = $2 FOR UPDATE`, run.Name, run.ID).Scan(&old, &high, &until)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrRunSuperseded
		}
		if err != nil {
			return err
		}
		complete := run.Mode == ModeBackfill
		watermark = maxTime(utc(old), utc(high))
		if !upTo.IsZero() && watermark.After(upTo) {
			watermark = Stored(upTo)
		}
		if complete {
			watermark = utc(until)
		}
		_, err = tx.Exec(ctx, `
UPDATE checkpoints
SET watermark = $2, complete = complete OR $3, run_id = NULL, run_since = NULL, run_until = NULL,
    run_cursor = NULL, run_high = NULL, updated_at = now()
WHERE name = $1`, run.Name, nullTime(watermark), complete)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE extract_runs SET status = 'ok', ended_at = now() WHERE id = $1`, run.ID); err != nil {
			return err
		}
		if watermark.IsZero() {
			return nil
		}
		_, err = tx.Exec(ctx, `DELETE FROM checkpoint_seen WHERE name = $1 AND ingestion < $2`,
			run.Name, watermark.Add(-overlap))
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("finish run %d (%q): %w", run.ID, run.Name, err)
	}
	return watermark, nil
}

// FailRun records cause as the run's last error with status "failed". The
// run stays in progress: the next start finds it in Load(name).Run and
// resumes at its cursor (its next CommitPage marks it "running" again).
// ErrRunSuperseded as for CommitPage.
func (s *Store) FailRun(ctx context.Context, run *Run, cause string) error {
	return s.stopRun(ctx, run, StatusFailed, cause)
}

// InterruptRun is FailRun with status "interrupted", for a run stopped by a
// shutdown rather than by an error.
func (s *Store) InterruptRun(ctx context.Context, run *Run, cause string) error {
	return s.stopRun(ctx, run, StatusInterrupted, cause)
}

func (s *Store) stopRun(ctx context.Context, run *Run, status, cause string) error {
	// An error may quote what the API sent (a cursor): text refuses NUL.
	cause = strings.ReplaceAll(strings.ToValidUTF8(cause, "\uFFFD"), "\x00", `\u0000`)
	tag, err := s.pool.Exec(ctx, `
WITH c AS (
    SELECT name FROM checkpoints WHERE name = $1 AND run_id = $2 FOR UPDATE
)
UPDATE extract_runs r SET status = $3, error = $4, ended_at = now()
FROM c WHERE r.id = $2`, run.Name, run.ID, status, cause)
	if err != nil {
		return fmt.Errorf("record %s run %d (%q): %w", status, run.ID, run.Name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record %s run %d (%q): %w", status, run.ID, run.Name, ErrRunSuperseded)
	}
	return nil
}
