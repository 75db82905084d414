-- The archive (forward SINK=postgres, issue 11): every event and alert, for
-- years, and the dead letters counted per day. The tables and columns are an
-- interface (README, "The archive's schema"): the report and mcp programs and
-- users query them; change them only by adding.
--
-- archive_events is partitioned by month of ingestion time. Partitions are
-- created by the sink (ahead of time, and on demand for a month a batch holds),
-- named archive_events_yYYYYmMM, and dropped whole past ARCHIVE_RETENTION.
-- The key is (event_id, ingestion_time): a unique key of a partitioned table
-- must hold the partition key, and an event's ingestionTimestamp is Pigment's
-- and never changes for an eventId, so this is the eventId's uniqueness.

-- +goose Up
CREATE TABLE archive_events (
    event_id              text        NOT NULL,
    event_type            text,
    event_time            timestamptz,
    ingestion_time        timestamptz NOT NULL,
    event_timestamp       text,
    ingestion_timestamp   text,
    actor_id              text,
    actor_email           text,
    actor_name            text,
    target_id             text,
    target_email          text,
    target_name           text,
    application_id        text,
    application_name      text,
    outcome               text,
    source_ip             text,
    country               text,
    previous_account_type text,
    new_account_type      text,
    previous_role         text,
    new_role              text,
    previous_license_type text,
    new_license_type      text,
    kafka_topic           text,
    kafka_partition       integer,
    kafka_offset          bigint,
    raw                   bytea       NOT NULL,
    archived_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, ingestion_time)
) PARTITION BY RANGE (ingestion_time);

CREATE INDEX archive_events_event_time ON archive_events (event_time);
CREATE INDEX archive_events_ingestion_time ON archive_events USING brin (ingestion_time);
CREATE INDEX archive_events_type_time ON archive_events (event_type, event_time);
CREATE INDEX archive_events_actor_time ON archive_events (actor_id, event_time);
CREATE INDEX archive_events_application_time ON archive_events (application_id, event_time);

CREATE TABLE archive_alerts (
    alert_id         text PRIMARY KEY,
    rule             text,
    severity         text,
    title            text,
    actor_id         text,
    actor_email      text,
    application_id   text,
    application_name text,
    window_start     timestamptz,
    window_end       timestamptz,
    event_time       timestamptz,
    event_count      bigint,
    evidence         text[],
    mitre            text,
    kafka_topic      text,
    kafka_partition  integer,
    kafka_offset     bigint,
    raw              bytea       NOT NULL,
    archived_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX archive_alerts_window ON archive_alerts (window_start);
CREATE INDEX archive_alerts_rule_window ON archive_alerts (rule, window_start);

-- One row per dead letter read from the DLQ topic, keyed by where it sits in
-- Kafka, so a re-delivery never counts twice; archive_dead_letters_daily
-- counts them.
CREATE TABLE archive_dead_letters (
    kafka_topic     text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    day             date        NOT NULL,
    stage           text        NOT NULL,
    reason_class    text        NOT NULL,
    reason          text,
    event_id        text,
    dead_at         timestamptz,
    archived_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kafka_topic, kafka_partition, kafka_offset)
);

CREATE INDEX archive_dead_letters_day ON archive_dead_letters (day);

CREATE VIEW archive_dead_letters_daily AS
    SELECT day, stage, reason_class, count(*) AS count
    FROM archive_dead_letters
    GROUP BY day, stage, reason_class;

-- +goose Down
DROP VIEW archive_dead_letters_daily;
DROP TABLE archive_dead_letters;
DROP TABLE archive_alerts;
DROP TABLE archive_events;
