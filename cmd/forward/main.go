// Command forward delivers the Kafka audit topics to a SIEM: Splunk HEC,
// Elasticsearch, syslog (RFC 5424 or CEF) or a file. See the README.
package main

import (
	"context"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

const usage = `usage: forward COMMAND

commands:
  run          consume KAFKA_TOPIC (and KAFKA_ALERTS_TOPIC) and deliver to SINK, until SIGTERM
  replay-dlq   deliver again the dead letters this sink refused, then exit
  setup        install what the sink needs (Elasticsearch: the index template, and with
               KIBANA_URL the dashboards; postgres: the archive's tables and partitions), then exit

SINK=splunk|elastic|syslog|file|postgres selects the destination; see the README for its variables.
`

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("forward", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("forward", run))
}

// dispatch runs one command.
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	if inv.Cmd == "run" || inv.Cmd == "replay-dlq" {
		if err := cfg.Kafka.RequireBrokers(); err != nil {
			return err
		}
	}
	a := &app{cfg: cfg, log: inv.Log.With().Str("sink", cfg.Sink).Logger()}
	switch inv.Cmd {
	case "run":
		return a.runForward(ctx)
	case "replay-dlq":
		return a.replayDLQ(ctx, inv.Stdout)
	case "setup":
		return a.setup(ctx, inv.Stdout)
	}
	return inv.Unknown()
}
