-- Two changes for the extractor (issue 8):
--
-- Cursors are stored as bytes: the API may send any string, and a text
-- column refuses NUL ("\u0000"), which failed the commit after Kafka had
-- taken the page, so every retry produced the page again.
--
-- seen_high is the newest ingestion time (as stored) of an event produced
-- for the checkpoint since its last reset. The watermark never passes the
-- run's start plus PIGMENT_MAX_CLOCK_SKEW, so an event stamped in the future
-- lies beyond it; the seen-ID lookup must cover every event up to seen_high,
-- or the next run produces that event again.

-- +goose Up
ALTER TABLE checkpoints ALTER COLUMN run_cursor TYPE bytea USING convert_to(run_cursor, 'UTF8');
ALTER TABLE extract_runs ALTER COLUMN cursor DROP DEFAULT;
ALTER TABLE extract_runs ALTER COLUMN cursor TYPE bytea USING convert_to(cursor, 'UTF8');
ALTER TABLE extract_runs ALTER COLUMN cursor SET DEFAULT '\x'::bytea;
ALTER TABLE checkpoints ADD COLUMN seen_high timestamptz;

-- +goose Down
-- A cursor holding NUL cannot go back to text: the rollback fails then.
ALTER TABLE checkpoints DROP COLUMN seen_high;
ALTER TABLE extract_runs ALTER COLUMN cursor DROP DEFAULT;
ALTER TABLE extract_runs ALTER COLUMN cursor TYPE text USING convert_from(cursor, 'UTF8');
ALTER TABLE extract_runs ALTER COLUMN cursor SET DEFAULT '';
ALTER TABLE checkpoints ALTER COLUMN run_cursor TYPE text USING convert_from(run_cursor, 'UTF8');
