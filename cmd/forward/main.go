// Command forward delivers the Kafka audit topics to a SIEM: Splunk HEC,
// Elasticsearch, syslog (RFC 5424 or CEF) or a file. See the README.
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
)

const usage = `usage: forward COMMAND

commands:
  run          consume KAFKA_TOPIC (and KAFKA_ALERTS_TOPIC) and deliver to SINK, until SIGTERM
  replay-dlq   deliver again the dead letters this sink refused, then exit
  setup        install what the sink needs (Elasticsearch: the index template;
               postgres: the archive's tables and partitions), then exit

SINK=splunk|elastic|syslog|file|postgres selects the destination; see the README for its variables.
`

var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "forward:", err)
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
	if args[0] == "run" || args[0] == "replay-dlq" {
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	a, err := newApp(cfg, stderr)
	if err != nil {
		return err
	}
	switch args[0] {
	case "run":
		return a.runForward(ctx)
	case "replay-dlq":
		return a.replayDLQ(ctx, stdout)
	case "setup":
		return a.setup(ctx, stdout)
	}
	fmt.Fprintf(stderr, "forward: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
