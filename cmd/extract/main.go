// Command extract pulls Pigment audit events into Kafka, keeping its
// progress in Postgres. See the README for the commands and configuration.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: extract COMMAND [flags]

commands:
  run                     poll the API every PIGMENT_POLL_INTERVAL (one leader per workspace; others stand by)
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
var run = daemon.Command(usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("extract", run))
}

// dispatch builds the app and runs one command; whatever fails, the
// database password never reaches the message.
func dispatch(ctx context.Context, cfg *Config, cmd string, rest []string, stdout, stderr io.Writer) error {
	app, err := newApp(cfg, stderr)
	if err != nil {
		return err
	}
	return pgdsn.Scrub(app.dispatch(ctx, cmd, rest, stdout, stderr), cfg.DatabaseURL)
}

// dispatch runs one command.
func (a *app) dispatch(ctx context.Context, cmd string, rest []string, stdout, stderr io.Writer) error {
	if cmd == "run" || cmd == "once" || cmd == "backfill" {
		// Before the database: no checkpoint moves without a broker.
		if err := a.cfg.Kafka.RequireBrokers(); err != nil {
			return fmt.Errorf("configuration: %w", err)
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
	return daemon.UnknownCommand(stderr, "extract", cmd, usage)
}
