-- The request budget shared by every process using one API key: a sliding-window
-- log of request times and a block set when the API answered 429 anyway.
-- Keys are hashes of API keys, never the keys themselves.

-- +goose Up
CREATE TABLE rate_budget (
    key           text        PRIMARY KEY,
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rate_budget_log (
    key   text        NOT NULL,
    at    timestamptz NOT NULL,
    class smallint    NOT NULL
);
CREATE INDEX rate_budget_log_key_at ON rate_budget_log (key, at);

-- +goose Down
DROP TABLE rate_budget_log;
DROP TABLE rate_budget;
