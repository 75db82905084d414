package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/inventory"
)

// Config is every environment variable inventory reads (README, "inventory").
type Config struct {
	APIURL     string `env:"PIGMENT_API_URL, default=https://pigment.app"`
	APIKey     string `env:"PIGMENT_METADATA_API_KEY"`
	APIKeyFile string `env:"PIGMENT_METADATA_API_KEY_FILE"`
	// Workspace names the leader lock: one inventory per workspace.
	Workspace   string        `env:"PIGMENT_WORKSPACE, default=default"`
	HTTPTimeout time.Duration `env:"PIGMENT_HTTP_TIMEOUT, default=30s"`
	MaxAttempts int           `env:"PIGMENT_MAX_ATTEMPTS, default=8"`
	// RateBudget is extract's PIGMENT_RATE_LIMIT and PIGMENT_RATE_RESERVE:
	// both draw on one budget per API host.
	daemon.RateBudget
	Interval      time.Duration `env:"INVENTORY_INTERVAL, default=24h"`
	PolicyFile    string        `env:"INVENTORY_POLICY_FILE"`
	ProgressEvery time.Duration `env:"INVENTORY_PROGRESS_INTERVAL, default=30s"`
	StandbyPoll   time.Duration `env:"INVENTORY_STANDBY_POLL, default=1s"`
	// RetentionText is ARCHIVE_RETENTION: snapshots are kept as long as
	// the archive keeps events.
	RetentionText string `env:"ARCHIVE_RETENTION, default=7y"`
	Retention     time.Duration

	AlertsTopic string `env:"KAFKA_ALERTS_TOPIC, default=pigment.audit.alerts"`
	// EventsTopic is read by the KPIs when the archive holds no event.
	EventsTopic     string `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	MaxMessageBytes int    `env:"KAFKA_MAX_MESSAGE_BYTES, default=1000000"`
	Kafka           envcfg.Kafka

	// Database (DATABASE_URL) holds the leader lock and the rate budget,
	// shared with extract; ArchiveDatabaseURL (default DATABASE_URL) the
	// snapshots, findings, outbox and KPIs: what the reports read, beside
	// the archive's events.
	daemon.Database
	ArchiveDatabaseURL string `env:"ARCHIVE_DATABASE_URL"`
	daemon.Settings           // METRICS_ADDR defaults to defaultMetricsAddr

	// policy is INVENTORY_POLICY_FILE (or the built-in one), loaded by
	// Check: a bad file stops every command at start, naming the line.
	policy *inventory.Policy
}

const defaultMetricsAddr = ":9104"

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{Settings: daemon.Settings{MetricsAddr: defaultMetricsAddr}})
}

// Check implements daemon.Config; it reads the key from its file and
// loads the policy.
func (c *Config) Check(p *envcfg.Problems) {
	p.Add(envcfg.Secret(&c.APIKey, c.APIKeyFile, "PIGMENT_METADATA_API_KEY"))
	daemon.CheckAPI(p, c.APIURL, c.HTTPTimeout, c.MaxAttempts)
	check := p.Check
	check(c.Workspace == "", "PIGMENT_WORKSPACE must not be empty")
	p.Add(c.RateBudget.Validate())
	check(c.EventsTopic == "" || c.EventsTopic == c.AlertsTopic, "KAFKA_TOPIC must be set and differ from KAFKA_ALERTS_TOPIC")
	check(c.Interval < time.Minute, "INVENTORY_INTERVAL must be at least 1m")
	check(c.ProgressEvery <= 0, "INVENTORY_PROGRESS_INTERVAL must be positive")
	check(c.StandbyPoll <= 0, "INVENTORY_STANDBY_POLL must be positive")
	check(c.AlertsTopic == "", "KAFKA_ALERTS_TOPIC must not be empty")
	check(c.MaxMessageBytes < 16<<10, "KAFKA_MAX_MESSAGE_BYTES must be at least 16384")
	d, err := envcfg.ParseRetention(c.RetentionText)
	if err != nil {
		p.Add(fmt.Errorf("ARCHIVE_RETENTION %q: %w", c.RetentionText, err))
	}
	c.Retention = d
	p.Add(c.Kafka.Validate())
	c.policy, err = loadPolicy(c.PolicyFile)
	p.Add(err)
}

// archive is the database of the inventory's records and the KPIs:
// ARCHIVE_DATABASE_URL, else DATABASE_URL.
func (c *Config) archive() daemon.Database {
	return daemon.Database{DatabaseURL: cmp.Or(c.ArchiveDatabaseURL, c.DatabaseURL)}
}

// needKey is checked only by the commands that call the API, so show,
// diff and test run without the metadata key.
func (c *Config) needKey() error {
	if c.APIKey == "" {
		return errors.New("configuration: PIGMENT_METADATA_API_KEY (or PIGMENT_METADATA_API_KEY_FILE) is required")
	}
	return nil
}

// loadPolicy reads path, or the built-in policy when path is empty.
func loadPolicy(path string) (*inventory.Policy, error) {
	raw := inventory.DefaultPolicy()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("INVENTORY_POLICY_FILE: %w", err)
		}
		raw = b
	}
	p, err := inventory.LoadPolicy(raw)
	if err != nil {
		return nil, fmt.Errorf("INVENTORY_POLICY_FILE %s: %w", cmp.Or(path, "(built in)"), err)
	}
	return p, nil
}
