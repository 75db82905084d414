package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// Config is every environment variable detect reads (README, "detect").
type Config struct {
	Kafka       envcfg.Kafka
	Topic       string `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	AlertsTopic string `env:"KAFKA_ALERTS_TOPIC, default=pigment.audit.alerts"`
	DLQTopic    string `env:"KAFKA_DLQ_TOPIC, default=pigment.audit.dlq"`
	// MaxMessageBytes is the brokers' record limit: larger alerts are cut.
	MaxMessageBytes int           `env:"KAFKA_MAX_MESSAGE_BYTES, default=1000000"`
	RulesFile       string        `env:"DETECT_RULES_FILE"`
	Name            string        `env:"DETECT_NAME, default=detect"`
	SaveEvery       time.Duration `env:"DETECT_SAVE_INTERVAL, default=1s"`
	StandbyPoll     time.Duration `env:"DETECT_STANDBY_POLL, default=1s"`
	// StuckAfter is how long the leader may go without progress, records
	// waiting, before /healthz answers 503.
	StuckAfter time.Duration `env:"DETECT_STUCK_AFTER, default=2m"`
	daemon.Database
	daemon.Settings // METRICS_ADDR defaults to defaultMetricsAddr

	// Workspace names extract's live checkpoint, read in the same database
	// to decide windows when nothing more arrives (README, "detect").
	Workspace string `env:"PIGMENT_WORKSPACE, default=default"`
}

const defaultMetricsAddr = ":9103"

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{Settings: daemon.Settings{MetricsAddr: defaultMetricsAddr}})
}

// Check implements daemon.Config.
func (c *Config) Check(p *envcfg.Problems) {
	check := p.Check
	check(c.Topic == "" || c.AlertsTopic == "" || c.Topic == c.AlertsTopic, "KAFKA_TOPIC and KAFKA_ALERTS_TOPIC must be set and differ")
	check(c.DLQTopic == "" || c.DLQTopic == c.Topic, "KAFKA_DLQ_TOPIC must be set and differ from KAFKA_TOPIC")
	check(c.Name == "", "DETECT_NAME must not be empty")
	check(c.Workspace == "", "PIGMENT_WORKSPACE must not be empty")
	check(c.MaxMessageBytes < 16<<10, "KAFKA_MAX_MESSAGE_BYTES must be at least 16384")
	check(c.SaveEvery <= 0, "DETECT_SAVE_INTERVAL must be positive")
	check(c.StandbyPoll <= 0, "DETECT_STANDBY_POLL must be positive")
	check(c.StuckAfter <= c.SaveEvery, "DETECT_STUCK_AFTER must be longer than DETECT_SAVE_INTERVAL")
	p.Add(c.Kafka.Validate())
}

func defaultRules() []byte { return detect.DefaultRules() }

// loadRules reads path, or the built-in rules when path is empty.
func loadRules(path string) (detect.RuleSet, error) {
	raw := defaultRules()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return detect.RuleSet{}, fmt.Errorf("DETECT_RULES_FILE: %w", err)
		}
		raw = b
	}
	rs, err := detect.LoadRules(raw)
	if err != nil {
		return rs, fmt.Errorf("rules %s: %w", cmp.Or(path, "(built in)"), err)
	}
	return rs, nil
}

// testRules is `detect test`: it runs a rules file's inline cases and fails
// if any does not give the alerts it expects.
func testRules(cfg *Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	path := fs.String("rules", cfg.RulesFile, "rules file (default: the built-in rules)")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	rs, err := loadRules(*path)
	if err != nil {
		return err
	}
	failed := 0
	results := detect.RunTests(rs)
	for _, r := range results {
		status := "ok  "
		if !r.Pass {
			status, failed = "FAIL", failed+1
		}
		fmt.Fprintf(out, "%s %s / %s\n", status, r.Rule, r.Name)
		if !r.Pass {
			fmt.Fprintf(out, "     %s\n", r.Diff)
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d rule test(s) failed", failed)
	}
	return nil
}
