-- The detector's state, saved with the Kafka offsets it reflects in one
-- transaction, and the alerts decided but not yet acknowledged by Kafka (an
-- outbox): a restart resumes exactly where the saved state is, and re-sends
-- what it had decided.

-- +goose Up
CREATE TABLE detect_state (
    name       text        PRIMARY KEY,
    state      bytea       NOT NULL,
    offsets    jsonb       NOT NULL,
    complete   jsonb       NOT NULL DEFAULT '{}',
    watermark  timestamptz,
    newest     timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE detect_outbox (
    name       text        NOT NULL,
    alert_id   text        NOT NULL,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, alert_id)
);

-- +goose Down
DROP TABLE detect_outbox;
DROP TABLE detect_state;
