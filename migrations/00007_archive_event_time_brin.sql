-- archive_events' index by event time becomes a BRIN (issue 11, speed).
--
-- A B-tree entry per row was a fifth of what Postgres spent archiving an
-- event (five B-trees, each a descent per row). Rows arrive in ingestion
-- order and an event's time trails its ingestion by minutes, so within a
-- partition event_time follows the rows' physical order: a BRIN finds a
-- period's rows as well as the B-tree for the reports' queries (a week or
-- a month: event_time >= $1 AND event_time < $2; by type they use
-- archive_events_type_time), at a fraction of the cost per row. minmax_multi
-- keeps a late event (days behind its neighbours) from widening its whole
-- block range. The name stays: the index is still the one "by time".

-- +goose Up
DROP INDEX archive_events_event_time;
CREATE INDEX archive_events_event_time ON archive_events USING brin (event_time timestamptz_minmax_multi_ops);

-- +goose Down
DROP INDEX archive_events_event_time;
CREATE INDEX archive_events_event_time ON archive_events (event_time);
