-- Reviewers' attestations of reports (report attest, issue 11): who approved
-- or rejected which report, when, and the SHA-256 of its manifest.sha256,
-- which pins every file of the report. Rows are evidence: they are only
-- ever added (a trigger refuses UPDATE and DELETE; a correction is a new
-- attestation).

-- +goose Up
CREATE TABLE report_attestations (
    id              bigserial   PRIMARY KEY,
    attested_at     timestamptz NOT NULL DEFAULT now(),
    reviewer        text        NOT NULL CHECK (reviewer <> ''),
    decision        text        NOT NULL CHECK (decision IN ('approved', 'rejected')),
    comment         text        NOT NULL DEFAULT '',
    manifest_sha256 text        NOT NULL CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    kind            text        NOT NULL DEFAULT '',
    period          text        NOT NULL DEFAULT '',
    workspace       text        NOT NULL DEFAULT '',
    directory       text        NOT NULL DEFAULT ''
);

CREATE INDEX report_attestations_manifest ON report_attestations (manifest_sha256);

-- +goose StatementBegin
CREATE FUNCTION report_attestations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_attestations is append-only: record a new attestation instead';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER report_attestations_append_only BEFORE UPDATE OR DELETE ON report_attestations
    FOR EACH ROW EXECUTE FUNCTION report_attestations_append_only();

-- +goose Down
DROP TABLE report_attestations;
DROP FUNCTION report_attestations_append_only();
