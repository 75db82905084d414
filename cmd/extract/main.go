// Command extract pulls Pigment audit events into Kafka, keeping its
// progress in Postgres. See the README for the commands and configuration.
package main

import (
	"context"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

const usage = `usage: extract COMMAND [flags]

commands:
  run                     poll the API every few seconds (PIGMENT_POLL_SHARE of the rate budget, or
                          PIGMENT_POLL_INTERVAL; one leader per workspace; others stand by)
  once                    catch up to now, then exit 0 (for cron and scheduled jobs)
  backfill --from T --to T [--name N]
                          a named, resumable extraction of an ingestion-time range
  checkpoint show [--name N] [--json]
  checkpoint reset --to T --reason R [--operator O] [--name N] [--force]
  checkpoint history [--name N] [--limit K]
  runs [--name N] [--limit K]
  migrate                 apply database migrations and exit (every command also does)

times T: RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02, midnight UTC)
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("extract", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("extract", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	a := &app{cfg: cfg, log: inv.Log} // what every command shares
	cmd, rest, stdout := inv.Cmd, inv.Args, inv.Stdout
	if cmd == "run" || cmd == "once" || cmd == "backfill" {
		// Before the database: no checkpoint moves without a broker.
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return err
		}
	}
	switch cmd {
	case "run":
		return a.runLive(ctx, rest)
	case "once":
		return a.runOnce(ctx, rest)
	case "backfill":
		return a.runBackfill(ctx, rest)
	case "checkpoint":
		return a.checkpointCmd(ctx, rest, stdout)
	case "runs":
		return a.runsCmd(ctx, rest, stdout)
	case "migrate":
		return a.migrate(ctx)
	}
	return inv.Unknown()
}
