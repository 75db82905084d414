-- The MCP server (cmd/mcp, issue 14): its bearer tokens, and the role it
-- reads through.
--
-- mcp_tokens keeps the SHA-256 of each token, never the token: `mcp tokens
-- add` prints the token once. scopes are among events, alerts, inventory,
-- reports. A revoked token keeps its row (revoked_at), so the log of the
-- calls made with it still names a token that can be looked up.
--
-- pigment_mcp_reader is NOLOGIN: grant it to a login role and put that
-- role in MCP_DATABASE_URL (README, "mcp"). It can read the tables the
-- tools answer from and nothing else; it cannot write anything. Roles are
-- cluster-wide, so it is created only when missing (several databases of
-- one cluster, or two processes migrating at once, share it), and Down
-- only revokes this database's grants.

-- +goose Up
CREATE TABLE mcp_tokens (
    name       text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    sha256     text        NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    scopes     text[]      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE pigment_mcp_reader NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of the cluster created it
END;
$$;
-- +goose StatementEnd

GRANT SELECT ON archive_events, archive_alerts, archive_dead_letters, archive_dead_letters_daily,
    report_attestations, kpi_daily, checkpoints,
    inventory_snapshots, inventory_applications, inventory_blocks, inventory_snapshot_findings,
    mcp_tokens
    TO pigment_mcp_reader;

-- +goose Down
REVOKE ALL ON archive_events, archive_alerts, archive_dead_letters, archive_dead_letters_daily,
    report_attestations, kpi_daily, checkpoints,
    inventory_snapshots, inventory_applications, inventory_blocks, inventory_snapshot_findings,
    mcp_tokens
    FROM pigment_mcp_reader;
DROP TABLE mcp_tokens;
