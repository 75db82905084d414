// Command detect reads the audit events topic, runs the anomaly rules and
// writes alerts to the alerts topic. See the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: detect COMMAND

commands:
  run                  detect anomalies in KAFKA_TOPIC, write alerts to KAFKA_ALERTS_TOPIC, until SIGTERM
  test [--rules FILE]  run the inline test cases of a rules file (default: DETECT_RULES_FILE or the built-in rules)
  rules                print the built-in rules file, to start a customised one from
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command(usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("detect", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, cmd string, args []string, stdout, stderr io.Writer) error {
	switch cmd {
	case "run":
		// Before the database: no offset or state moves without a broker.
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		a, err := newApp(cfg, stderr)
		if err != nil {
			return err
		}
		// Whatever fails, the database password never reaches the message.
		return pgdsn.Scrub(a.runDetect(ctx), cfg.DatabaseURL)
	case "test":
		return testRules(cfg, args, stdout)
	case "rules":
		_, err := stdout.Write(defaultRules())
		return err
	}
	return daemon.UnknownCommand(stderr, "detect", cmd, usage)
}
