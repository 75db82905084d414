-- Progress of the extractor: one checkpoint per name ("live", "backfill:<name>"),
-- the run in progress, the event IDs produced near the watermark (for
-- deduplication across overlapping queries), run history and operator history.

-- +goose Up
CREATE TABLE extract_runs (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    mode       text        NOT NULL CHECK (mode IN ('run', 'once', 'backfill')),
    since      timestamptz NOT NULL,
    until      timestamptz,
    cursor     text        NOT NULL DEFAULT '',
    high       timestamptz,
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    status     text        NOT NULL DEFAULT 'running'
               CHECK (status IN ('running', 'ok', 'failed', 'interrupted', 'superseded')),
    error      text        NOT NULL DEFAULT '',
    restarts   integer     NOT NULL DEFAULT 0,
    pages      bigint      NOT NULL DEFAULT 0,
    fetched    bigint      NOT NULL DEFAULT 0,
    produced   bigint      NOT NULL DEFAULT 0,
    dlq        bigint      NOT NULL DEFAULT 0,
    duplicates bigint      NOT NULL DEFAULT 0,
    skipped    bigint      NOT NULL DEFAULT 0
);
CREATE INDEX extract_runs_name_id ON extract_runs (name, id DESC);

CREATE TABLE checkpoints (
    name       text        PRIMARY KEY,
    watermark  timestamptz,
    complete   boolean     NOT NULL DEFAULT false,
    run_id     bigint      REFERENCES extract_runs (id),
    run_since  timestamptz,
    run_until  timestamptz,
    run_cursor text,
    run_high   timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- event_key is the first 16 bytes of SHA-256(eventId): event IDs are open
-- strings, and a fixed-size key keeps each page's 1,000 inserts cheap.
CREATE TABLE checkpoint_seen (
    name      text        NOT NULL,
    event_key uuid        NOT NULL,
    ingestion timestamptz NOT NULL,
    PRIMARY KEY (name, event_key)
);
-- No index on ingestion: it would make every page's commit about half again
-- as slow, and pruning (once per run) scans only one checkpoint's IDs.

CREATE TABLE checkpoint_history (
    id             bigserial   PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    name           text        NOT NULL,
    operator       text        NOT NULL CHECK (operator <> ''),
    reason         text        NOT NULL CHECK (reason <> ''),
    from_watermark timestamptz,
    to_watermark   timestamptz,
    superseded_run bigint      REFERENCES extract_runs (id)
);
CREATE INDEX checkpoint_history_name_id ON checkpoint_history (name, id DESC);

-- +goose Down
DROP TABLE checkpoint_history;
DROP TABLE checkpoint_seen;
DROP TABLE checkpoints;
DROP TABLE extract_runs;
