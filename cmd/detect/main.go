// Command detect reads the audit events topic, runs the anomaly rules and
// writes alerts to the alerts topic. See the README.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: detect COMMAND

commands:
  run                  detect anomalies in KAFKA_TOPIC, write alerts to KAFKA_ALERTS_TOPIC, until SIGTERM
  test [--rules FILE]  run the inline test cases of a rules file (default: DETECT_RULES_FILE or the built-in rules)
  rules                print the built-in rules file, to start a customised one from
`

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "detect:", err)
			os.Exit(1)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
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
	fmt.Fprintf(stderr, "detect: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
