// Package inventory audits the workspace's structure through the Metadata
// API (README, "inventory"): it takes snapshots of every application, block
// (with its type and dimensions), import configuration and view, keeps them
// in Postgres with their Summary (the inventory KPIs), compares each with
// the one before (created, deleted, renamed, re-dimensioned), judges it
// against a YAML policy (naming patterns, over-dimensioned metrics, large
// applications, drift of blocks that imports use) and writes the findings
// to the alerts topic in detect's alert format.
//
// A finding is alerted once per episode: it stays open in Postgres while
// it persists, and its alert ID is a name-based UUID of its rule, key and
// the time of the snapshot that opened it, so a finding fixed and back is
// a new alert, and a replay of the same decision gives the same ID. The
// snapshot, the findings and the alerts decided are saved in one
// transaction, the alerts in an outbox, produced (acks=all) and removed
// afterwards: a crash in between re-sends them with the same IDs.
package inventory
