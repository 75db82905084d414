-- report_attestations is append-only (00006), but its trigger is FOR EACH
-- ROW on UPDATE and DELETE: TRUNCATE fires no row trigger and emptied the
-- table. A statement trigger on TRUNCATE refuses it too.

-- +goose Up
CREATE TRIGGER report_attestations_no_truncate BEFORE TRUNCATE ON report_attestations
    FOR EACH STATEMENT EXECUTE FUNCTION report_attestations_append_only();

-- +goose Down
DROP TRIGGER report_attestations_no_truncate ON report_attestations;
