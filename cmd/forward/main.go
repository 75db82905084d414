// Command forward delivers the Kafka audit topics to a SIEM: Splunk HEC,
// Elasticsearch, syslog (RFC 5424 or CEF) or a file. See the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: forward COMMAND

commands:
  run          consume KAFKA_TOPIC (and KAFKA_ALERTS_TOPIC) and deliver to SINK, until SIGTERM
  replay-dlq   deliver again the dead letters this sink refused, then exit
  setup        install what the sink needs (Elasticsearch: the index template;
               postgres: the archive's tables and partitions), then exit

SINK=splunk|elastic|syslog|file|postgres selects the destination; see the README for its variables.
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command(usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("forward", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, cmd string, args []string, stdout, stderr io.Writer) error {
	if cmd == "run" || cmd == "replay-dlq" {
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	a, err := newApp(cfg, stderr)
	if err != nil {
		return err
	}
	// Whatever fails, the archive database's password never reaches the message.
	switch cmd {
	case "run":
		return pgdsn.Scrub(a.runForward(ctx), cfg.archiveURL())
	case "replay-dlq":
		return pgdsn.Scrub(a.replayDLQ(ctx, stdout), cfg.archiveURL())
	case "setup":
		return pgdsn.Scrub(a.setup(ctx, stdout), cfg.archiveURL())
	}
	return daemon.UnknownCommand(stderr, "forward", cmd, usage)
}
