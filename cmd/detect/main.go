// Command detect reads the audit events topic, runs the anomaly rules and
// writes alerts to the alerts topic. See the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: detect COMMAND

commands:
  run                  detect anomalies in KAFKA_TOPIC, write alerts to KAFKA_ALERTS_TOPIC, until SIGTERM
  test [--rules FILE]  run the inline test cases of a rules file (default: DETECT_RULES_FILE or the built-in rules)
  rules                print the built-in rules file, to start a customised one from
`

func main() {
	os.Exit(daemon.Main("detect", run))
}

func run(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) error {
	if done, err := daemon.Help(args, usage, stderr); done {
		return err
	}
	cfg, err := loadConfig(ctx, env)
	if err != nil {
		return err
	}
	switch args[0] {
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
		return testRules(cfg, args[1:], stdout)
	case "rules":
		_, err := stdout.Write(defaultRules())
		return err
	}
	return daemon.UnknownCommand(stderr, "detect", args[0], usage)
}
