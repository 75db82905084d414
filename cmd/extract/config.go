package main

import (
	"context"
	"errors"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// Config is every environment variable extract reads (README, "Configuration").
type Config struct {
	APIURL          string        `env:"PIGMENT_API_URL, default=https://pigment.app"`
	APIKey          string        `env:"PIGMENT_AUDIT_API_KEY"`
	APIKeyFile      string        `env:"PIGMENT_AUDIT_API_KEY_FILE"`
	Workspace       string        `env:"PIGMENT_WORKSPACE, default=default"`
	PollShare       Percent       `env:"PIGMENT_POLL_SHARE, default=15%"`
	PollInterval    time.Duration `env:"PIGMENT_POLL_INTERVAL"` // unset (0): derived from PIGMENT_POLL_SHARE
	Overlap         Days          `env:"PIGMENT_OVERLAP, default=10m"`
	InitialLookback Days          `env:"PIGMENT_INITIAL_LOOKBACK, default=180d"`
	HTTPTimeout     time.Duration `env:"PIGMENT_HTTP_TIMEOUT, default=30s"`
	MaxAttempts     int           `env:"PIGMENT_MAX_ATTEMPTS, default=8"`
	MaxClockSkew    time.Duration `env:"PIGMENT_MAX_CLOCK_SKEW, default=1m"`

	Topic           string `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	DLQTopic        string `env:"KAFKA_DLQ_TOPIC, default=pigment.audit.dlq"`
	MaxMessageBytes int    `env:"KAFKA_MAX_MESSAGE_BYTES, default=1000000"`
	Compression     string `env:"KAFKA_COMPRESSION, default=lz4"`
	Kafka           envcfg.Kafka

	daemon.RateBudget // PIGMENT_RATE_LIMIT, PIGMENT_RATE_RESERVE: shared with inventory
	daemon.Database
	daemon.Settings               // METRICS_ADDR: none by default; run serves on defaultMetricsAddr
	ProgressEvery   time.Duration `env:"EXTRACT_PROGRESS_INTERVAL, default=10s"`
	StandbyPoll     time.Duration `env:"EXTRACT_STANDBY_POLL, default=1s"`
}

// loadConfig reads and validates the configuration. Errors name the variable
// and the rule, never a secret's value.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{})
}

// Check implements daemon.Config; it first reads the key from its file.
func (c *Config) Check(p *envcfg.Problems) {
	p.Add(envcfg.Secret(&c.APIKey, c.APIKeyFile, "PIGMENT_AUDIT_API_KEY"))
	daemon.CheckAPI(p, c.APIURL, c.HTTPTimeout, c.MaxAttempts)
	check := p.Check
	check(c.PollInterval < 0, "PIGMENT_POLL_INTERVAL must not be negative (unset or 0: derived from PIGMENT_POLL_SHARE)")
	check(c.PollShare <= 0 || c.PollShare > 1, "PIGMENT_POLL_SHARE must be above 0%% and at most 100%%")
	if iv := c.poll().Interval; c.PollInterval == 0 && c.PollShare > 0 && (iv < minDerivedInterval || iv > maxDerivedInterval) {
		p.Check(true, "PIGMENT_POLL_SHARE of PIGMENT_RATE_LIMIT gives a poll every %s: want %s to %s (or set PIGMENT_POLL_INTERVAL)",
			iv, minDerivedInterval, maxDerivedInterval)
	}
	check(c.Overlap < 0, "PIGMENT_OVERLAP must not be negative")
	check(c.InitialLookback <= 0, "PIGMENT_INITIAL_LOOKBACK must be positive")
	check(c.MaxClockSkew <= 0, "PIGMENT_MAX_CLOCK_SKEW must be positive")
	p.Add(c.RateBudget.Validate())
	check(c.Workspace == "", "PIGMENT_WORKSPACE must not be empty")
	check(c.Topic == "", "KAFKA_TOPIC must not be empty")
	check(c.DLQTopic == "" || c.DLQTopic == c.Topic, "KAFKA_DLQ_TOPIC must be set and differ from KAFKA_TOPIC")
	check(c.MaxMessageBytes < 16<<10, "KAFKA_MAX_MESSAGE_BYTES must be at least 16384")
	p.Add(c.Kafka.Validate())
	check(c.ProgressEvery <= 0, "EXTRACT_PROGRESS_INTERVAL must be positive")
	check(c.StandbyPoll <= 0, "EXTRACT_STANDBY_POLL must be positive")
}

// needKey is checked only by the commands that call the API, so operators
// can show and reset checkpoints without holding the audit key.
func (c *Config) needKey() error {
	if c.APIKey == "" {
		return errors.New("configuration: PIGMENT_AUDIT_API_KEY (or PIGMENT_AUDIT_API_KEY_FILE) is required")
	}
	return nil
}

// RateLimit is daemon.RateLimit: PIGMENT_RATE_LIMIT reads the same in extract and inventory.
type RateLimit = daemon.RateLimit

// Days is envcfg.Days: PIGMENT_OVERLAP reads the same in extract and report.
type Days = envcfg.Days
