-- The inventory (cmd/inventory): snapshots of the workspace's structure read
-- through the Metadata API, each with its Summary (the inventory KPIs) so
-- the KPIs and the weekly report read one row; the findings of each
-- snapshot; the findings open now, one episode each (a finding that persists
-- is not alerted again, one that is fixed and comes back is); and an outbox
-- of the alerts decided with a snapshot but not yet acknowledged by Kafka.
-- Deleting a snapshot (retention) deletes its rows.

-- +goose Up
CREATE TABLE inventory_snapshots (
    id                    bigserial   PRIMARY KEY,
    taken_at              timestamptz NOT NULL,
    applications          integer     NOT NULL,
    blocks                integer     NOT NULL,
    metrics               integer     NOT NULL,
    -- NULL: no metric carried its dimensions ("not available", never 0).
    avg_dimensions        double precision,
    large_applications    integer     NOT NULL,
    naming_violations     integer     NOT NULL,
    import_configurations integer     NOT NULL,
    views                 integer     NOT NULL
);
CREATE INDEX inventory_snapshots_taken_at ON inventory_snapshots (taken_at);

CREATE TABLE inventory_applications (
    snapshot_id bigint NOT NULL REFERENCES inventory_snapshots ON DELETE CASCADE,
    id          text   NOT NULL,
    name        text   NOT NULL,
    created_at  text   NOT NULL DEFAULT '',
    modified_at text   NOT NULL DEFAULT '',
    PRIMARY KEY (snapshot_id, id)
);

CREATE TABLE inventory_blocks (
    snapshot_id    bigint NOT NULL REFERENCES inventory_snapshots ON DELETE CASCADE,
    application_id text   NOT NULL,
    id             text   NOT NULL,
    name           text   NOT NULL,
    type           text   NOT NULL,
    -- NULL: the API did not say (not available); '{}': no dimensions.
    dimensions     text[],
    PRIMARY KEY (snapshot_id, application_id, id)
);

CREATE TABLE inventory_import_configurations (
    snapshot_id    bigint NOT NULL REFERENCES inventory_snapshots ON DELETE CASCADE,
    application_id text   NOT NULL,
    block_id       text   NOT NULL,
    id             text   NOT NULL,
    name           text   NOT NULL,
    PRIMARY KEY (snapshot_id, application_id, block_id, id)
);

CREATE TABLE inventory_views (
    snapshot_id    bigint NOT NULL REFERENCES inventory_snapshots ON DELETE CASCADE,
    application_id text   NOT NULL,
    block_id       text   NOT NULL,
    id             text   NOT NULL,
    name           text   NOT NULL,
    type           text   NOT NULL,
    PRIMARY KEY (snapshot_id, application_id, block_id, id)
);

-- Every finding of a snapshot, for `inventory show` and the reports.
CREATE TABLE inventory_snapshot_findings (
    snapshot_id bigint NOT NULL REFERENCES inventory_snapshots ON DELETE CASCADE,
    rule        text   NOT NULL,
    key         text   NOT NULL,
    severity    text   NOT NULL,
    title       text   NOT NULL,
    alert_id    text   NOT NULL,
    PRIMARY KEY (snapshot_id, rule, key)
);

-- The findings open now: opened_at is the episode, part of the alert's ID.
CREATE TABLE inventory_open_findings (
    rule      text        NOT NULL,
    key       text        NOT NULL,
    severity  text        NOT NULL,
    opened_at timestamptz NOT NULL,
    alert_id  text        NOT NULL,
    PRIMARY KEY (rule, key)
);

CREATE TABLE inventory_outbox (
    alert_id   text        PRIMARY KEY,
    rule       text        NOT NULL,
    severity   text        NOT NULL,
    record_key text        NOT NULL, -- the finding's key: its alerts share a partition
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE inventory_outbox;
DROP TABLE inventory_open_findings;
DROP TABLE inventory_snapshot_findings;
DROP TABLE inventory_views;
DROP TABLE inventory_import_configurations;
DROP TABLE inventory_blocks;
DROP TABLE inventory_applications;
DROP TABLE inventory_snapshots;
