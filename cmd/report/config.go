package main

import (
	"cmp"
	"context"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// Config is every environment variable report reads (README, "## report").
type Config struct {
	// DatabaseURL holds extract's checkpoints and run history, and the
	// attestations; the archive is ARCHIVE_DATABASE_URL, default the same.
	daemon.Database
	ArchiveDatabaseURL string `env:"ARCHIVE_DATABASE_URL"`

	Kafka       envcfg.Kafka
	Topic       string `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	AlertsTopic string `env:"KAFKA_ALERTS_TOPIC, default=pigment.audit.alerts"`
	// ArchiveGroupID is the archive's consumer group: forward SINK=postgres
	// names it forward-postgres unless KAFKA_GROUP_ID says otherwise.
	ArchiveGroupID string `env:"ARCHIVE_GROUP_ID, default=forward-postgres"`

	Workspace string        `env:"PIGMENT_WORKSPACE, default=default"`
	Overlap   envcfg.Days   `env:"PIGMENT_OVERLAP, default=10m"` // as extract's
	Wait      time.Duration `env:"REPORT_WAIT, default=1m"`
	Out       string        `env:"REPORT_OUT, default=reports"`

	daemon.Settings
}

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	c := &Config{}
	if err := envcfg.Process(ctx, c, l); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	var p envcfg.Problems
	check := p.Check
	check(c.Workspace == "", "PIGMENT_WORKSPACE must not be empty")
	check(c.Topic == "", "KAFKA_TOPIC must not be empty")
	check(c.ArchiveGroupID == "", "ARCHIVE_GROUP_ID must not be empty")
	check(c.Overlap < 0, "PIGMENT_OVERLAP must not be negative")
	check(c.Wait < 0, "REPORT_WAIT must not be negative")
	check(c.Out == "", "REPORT_OUT must not be empty")
	p.Add(c.Kafka.Validate())
	p.Add(c.Settings.Validate())
	return p.Err()
}

// archiveURL is ARCHIVE_DATABASE_URL, else DATABASE_URL.
func (c *Config) archiveURL() string {
	return cmp.Or(c.ArchiveDatabaseURL, c.DatabaseURL)
}
