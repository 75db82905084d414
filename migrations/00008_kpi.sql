-- The reliability KPIs (issue 12, internal/kpi): one row per UTC day and
-- KPI, recomputed in place while the day is open or its events arrive
-- late; and the threshold alerts decided from them, kept so that each is
-- produced once (a rerun finds its id and produces nothing) and produced
-- again after a crash between deciding and Kafka's acknowledgement.
--
-- value and target are NULL when not available (no snapshot, blocks without
-- dimensions, no baseline yet, no attempt to share); status says which.
-- The weekly report reads kpi_daily (README, "KPIs").

-- +goose Up
CREATE TABLE kpi_daily (
    day         date             NOT NULL,
    kpi         text             NOT NULL,
    value       double precision,
    target      double precision,
    status      text             NOT NULL,
    source      text             NOT NULL,
    computed_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (day, kpi)
);

CREATE TABLE kpi_alerts (
    alert_id   text        PRIMARY KEY,
    rule       text        NOT NULL,
    kpi        text        NOT NULL,
    day        date        NOT NULL,
    severity   text        NOT NULL,
    payload    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

CREATE INDEX kpi_alerts_pending ON kpi_alerts (created_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE kpi_alerts;
DROP TABLE kpi_daily;
