// Command inventory audits the workspace's structure through Pigment's
// Metadata API: snapshots in Postgres, their diff, a policy's findings
// written to the alerts topic. See the README, "inventory".
package main

import (
	"context"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
)

const usage = `usage: inventory COMMAND
commands:
  once                      take a snapshot, compare it with the last one, write the findings' alerts,
                            compute today's KPIs, exit
  run                       the same every INVENTORY_INTERVAL, and the KPIs of each day that ended,
                            until SIGTERM (one leader per workspace)
  show [--json]             the latest snapshot: applications, blocks by type, sizes, findings
  diff [--from ID --to ID]  what changed between two snapshots (default: the last two)
  test [--policy FILE]      run a policy's inline tests (default: INVENTORY_POLICY_FILE or the built-in policy)
  policy                    print the built-in policy, to start a customised one from
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("inventory", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("inventory", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	switch inv.Cmd {
	case "once", "run":
		// Before the database: nothing is saved without a broker and a key.
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return err
		}
		if err := cfg.needKey(); err != nil {
			return err
		}
		return runInventory(ctx, cfg, inv, newSource)
	case "show":
		return show(ctx, cfg, inv.Args, inv.Stdout)
	case "diff":
		return diff(ctx, cfg, inv.Args, inv.Stdout)
	case "test":
		return testPolicy(cfg, inv.Args, inv.Stdout)
	case "policy":
		_, err := inv.Stdout.Write(inventory.DefaultPolicy())
		return err
	}
	return inv.Unknown()
}
