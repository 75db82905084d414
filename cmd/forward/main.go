// Command forward delivers the Kafka audit topics to a SIEM: Splunk HEC,
// Elasticsearch, syslog (RFC 5424 or CEF) or a file. See the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

const usage = `usage: forward COMMAND

commands:
  run          consume KAFKA_TOPIC (and KAFKA_ALERTS_TOPIC) and deliver to SINK, until SIGTERM
  replay-dlq   deliver again the dead letters this sink refused, then exit
  setup        install what the sink needs (Elasticsearch: the index template;
               postgres: the archive's tables and partitions), then exit

SINK=splunk|elastic|syslog|file|postgres selects the destination; see the README for its variables.
`

func main() {
	os.Exit(daemon.Main("forward", run))
}

func run(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) error {
	if done, err := daemon.Help(args, usage, stderr); done {
		return err
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
	return daemon.UnknownCommand(stderr, "forward", args[0], usage)
}
