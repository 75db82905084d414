// Command detect reads the audit events topic, runs the anomaly rules and
// writes alerts to the alerts topic. See the README.
package main

import (
	"context"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

const usage = `usage: detect COMMAND

commands:
  run                  detect anomalies in KAFKA_TOPIC, write alerts to KAFKA_ALERTS_TOPIC, until SIGTERM
  test [--rules FILE]  run the inline test cases of a rules file (default: DETECT_RULES_FILE or the built-in rules)
  rules                print the built-in rules file, to start a customised one from
  rules --export splunk|elastic|sigma [--rules FILE]
                       the enabled rules as Splunk saved searches, Elastic detection rules
                       (ndjson) or Sigma rules; rules no query can express are named on stderr
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("detect", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("detect", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	switch inv.Cmd {
	case "run":
		// Before the database: no offset or state moves without a broker.
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return err
		}
		return runDetect(ctx, cfg, inv.Log)
	case "test":
		return testRules(cfg, inv.Args, inv.Stdout)
	case "rules":
		if len(inv.Args) > 0 {
			return exportRules(cfg, inv.Args, inv.Stdout, inv.Stderr)
		}
		_, err := inv.Stdout.Write(defaultRules())
		return err
	}
	return inv.Unknown()
}
