package main

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/sinks"
)

// Config is every environment variable forward reads (README, "forward"),
// grouped by what they configure.
type Config struct {
	Sink  string `env:"SINK"`
	Kafka envcfg.Kafka
	Reading
	Delivery
	Splunk
	Elastic
	Syslog
	FileSink
	Kibana

	// SinkTimeout bounds one request to the sink; the TLS settings are for
	// every sink that speaks TLS.
	SinkTimeout    time.Duration `env:"SINK_TIMEOUT, default=30s"`
	SinkCAFile     string        `env:"SINK_TLS_CA_FILE"`
	SinkSkipVerify bool          `env:"SINK_TLS_INSECURE_SKIP_VERIFY, default=false"`

	// The archive (SINK=postgres); see archive.go.
	ArchiveDatabaseURL     string `env:"ARCHIVE_DATABASE_URL"`
	ArchiveRetentionText   string `env:"ARCHIVE_RETENTION, default=7y"`
	ArchivePartitionsAhead int    `env:"ARCHIVE_PARTITIONS_AHEAD, default=3"`
	ArchiveRetention       time.Duration

	daemon.Database // the archive's, when ARCHIVE_DATABASE_URL is not set
	daemon.Settings // METRICS_ADDR defaults to defaultMetricsAddr
}

// Reading is what forward reads: the topics, as a consumer group.
type Reading struct {
	Topic          string        `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	AlertsTopic    string        `env:"KAFKA_ALERTS_TOPIC, default=pigment.audit.alerts"`
	IncludeAlerts  bool          `env:"FORWARD_ALERTS, default=true"`
	GroupID        string        `env:"KAFKA_GROUP_ID"` // default: forward-<SINK>
	SessionTimeout time.Duration `env:"KAFKA_SESSION_TIMEOUT, default=10s"`
	// DLQTopic takes the dead letters, each at most MaxMessageBytes (the
	// brokers' record limit): larger ones are cut to fit.
	DLQTopic        string `env:"KAFKA_DLQ_TOPIC, default=pigment.audit.dlq"`
	MaxMessageBytes int    `env:"KAFKA_MAX_MESSAGE_BYTES, default=1000000"`
}

// Delivery is how records are batched and sent, retried and drained.
type Delivery struct {
	BatchSize     int           `env:"FORWARD_BATCH_SIZE, default=1000"`
	BatchBytes    int           `env:"FORWARD_BATCH_BYTES, default=4194304"`
	BatchWait     time.Duration `env:"FORWARD_BATCH_WAIT, default=200ms"`
	Senders       int           `env:"FORWARD_SENDERS"` // 0: the sink's default (defaultSenders)
	RetryMax      time.Duration `env:"FORWARD_RETRY_MAX, default=30s"`
	ShutdownGrace time.Duration `env:"FORWARD_SHUTDOWN_GRACE, default=10s"`
	// MemoryLimit is the memory budget (memory.go); "" is the container's
	// limit, or 100MiB without one.
	MemoryLimit string `env:"FORWARD_MEMORY_LIMIT"`
	// GoMemLimit is Go's own soft memory limit, which the runtime read at
	// start; when set, the budget keeps it (memoryBudget.apply).
	GoMemLimit string `env:"GOMEMLIMIT"`
	memory     memoryBudget
}

// Splunk is SINK=splunk: the HEC endpoint and the events' metadata.
type Splunk struct {
	HECURL             string        `env:"SPLUNK_HEC_URL"`
	HECToken           string        `env:"SPLUNK_HEC_TOKEN"`
	HECTokenFile       string        `env:"SPLUNK_HEC_TOKEN_FILE"`
	HECAck             bool          `env:"SPLUNK_HEC_ACK, default=false"`
	HECAckTimeout      time.Duration `env:"SPLUNK_HEC_ACK_TIMEOUT, default=2m"`
	HECAckPending      int           `env:"SPLUNK_HEC_ACK_PENDING_BYTES, default=134217728"`
	HECGzip            bool          `env:"SPLUNK_HEC_GZIP, default=true"`
	HECGzipLevel       int           `env:"SPLUNK_HEC_GZIP_LEVEL, default=1"`
	SplunkIndex        string        `env:"SPLUNK_INDEX"`
	SplunkSource       string        `env:"SPLUNK_SOURCE, default=pigment:audit"`
	SplunkSourcetype   string        `env:"SPLUNK_SOURCETYPE, default=pigment:audit"`
	SplunkAlertSrctype string        `env:"SPLUNK_ALERT_SOURCETYPE, default=pigment:alert"`
	SplunkHost         string        `env:"SPLUNK_HOST"`
}

// Elastic is SINK=elastic: the cluster, its credentials, the data stream.
type Elastic struct {
	ElasticURL        string `env:"ELASTIC_URL"`
	ElasticAPIKey     string `env:"ELASTIC_API_KEY"`
	ElasticAPIKeyFile string `env:"ELASTIC_API_KEY_FILE"`
	ElasticUser       string `env:"ELASTIC_USERNAME"`
	ElasticPassword   string `env:"ELASTIC_PASSWORD"`
	ElasticDataStream string `env:"ELASTIC_DATA_STREAM, default=logs-pigment.audit-default"`
}

// Syslog is SINK=syslog: where, how, and in which format.
type Syslog struct {
	SyslogAddr         string        `env:"SYSLOG_ADDR"`
	SyslogNetwork      string        `env:"SYSLOG_NETWORK, default=tcp"`
	SyslogFormat       string        `env:"SYSLOG_FORMAT, default=rfc5424"`
	SyslogHostname     string        `env:"SYSLOG_HOSTNAME"`
	SyslogFacility     int           `env:"SYSLOG_FACILITY, default=13"`
	SyslogMaxDatagram  int           `env:"SYSLOG_MAX_DATAGRAM, default=2048"`
	SyslogWriteTimeout time.Duration `env:"SYSLOG_WRITE_TIMEOUT, default=10s"`
}

// FileSink is SINK=file.
type FileSink struct {
	FilePath   string `env:"FILE_PATH"`
	FileFormat string `env:"FILE_FORMAT, default=hec"`
}

const defaultMetricsAddr = ":9102"

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{Settings: daemon.Settings{MetricsAddr: defaultMetricsAddr}})
}

// DSN implements daemon.Config: the archive's database, whose password
// never reaches an error or a log line.
func (c *Config) DSN() string { return c.archiveURL() }

// Check implements daemon.Config; it first reads the secrets from their
// files and sets the defaults that depend on SINK.
func (c *Config) Check(p *envcfg.Problems) {
	p.Add(envcfg.Secret(&c.HECToken, c.HECTokenFile, "SPLUNK_HEC_TOKEN"))
	p.Add(envcfg.Secret(&c.ElasticAPIKey, c.ElasticAPIKeyFile, "ELASTIC_API_KEY"))
	c.GroupID = cmp.Or(c.GroupID, "forward-"+c.Sink)
	if c.Senders == 0 {
		c.Senders = c.defaultSenders()
	}
	var err error
	c.memory, err = resolveMemoryBudget(c.MemoryLimit, cgroupFiles...)
	p.Add(err)
	c.validate(p)
	c.checkKibana(p)
}

func (c *Config) validate(p *envcfg.Problems) {
	check := p.Check
	switch c.Sink {
	case "splunk":
		check(c.HECURL == "", "SPLUNK_HEC_URL is required with SINK=splunk")
		check(c.HECToken == "", "SPLUNK_HEC_TOKEN (or SPLUNK_HEC_TOKEN_FILE) is required with SINK=splunk")
		if err := sinks.CheckGzipLevel(c.HECGzipLevel); err != nil {
			p.Add(fmt.Errorf("SPLUNK_HEC_GZIP_LEVEL: %w", err))
		}
		check(c.HECAck && c.HECAckPending < 1<<20, "SPLUNK_HEC_ACK_PENDING_BYTES %d: want at least 1048576", c.HECAckPending)
	case "elastic":
		check(c.ElasticURL == "", "ELASTIC_URL is required with SINK=elastic")
		check(c.ElasticAPIKey == "" && c.ElasticUser == "", "ELASTIC_API_KEY or ELASTIC_USERNAME/ELASTIC_PASSWORD is required with SINK=elastic")
	case "syslog":
		check(c.SyslogAddr == "", "SYSLOG_ADDR is required with SINK=syslog")
		check(c.SyslogFormat != "rfc5424" && c.SyslogFormat != "cef", "SYSLOG_FORMAT %q: want rfc5424 or cef", c.SyslogFormat)
		check(c.SyslogFacility < 0 || c.SyslogFacility > 23, "SYSLOG_FACILITY %d: want 0 to 23", c.SyslogFacility)
	case "file":
		check(c.FilePath == "", "FILE_PATH is required with SINK=file")
		check(!oneOf(c.FileFormat, "hec", "ecs", "rfc5424", "cef"), "FILE_FORMAT %q: want hec, ecs, rfc5424 or cef", c.FileFormat)
	case "postgres":
		c.validateArchive(p)
	default:
		check(true, "SINK %q: want splunk, elastic, syslog, file or postgres", c.Sink)
	}
	check(c.Topic == "", "KAFKA_TOPIC must not be empty")
	check(c.DLQTopic == "" || c.DLQTopic == c.Topic || c.DLQTopic == c.AlertsTopic, "KAFKA_DLQ_TOPIC must be set and differ from the topics read")
	check(c.MaxMessageBytes < 16<<10, "KAFKA_MAX_MESSAGE_BYTES must be at least 16384")
	check(c.BatchSize < 1, "FORWARD_BATCH_SIZE must be at least 1")
	check(c.SessionTimeout < time.Second, "KAFKA_SESSION_TIMEOUT must be at least 1s")
	check(c.BatchBytes < 1024, "FORWARD_BATCH_BYTES must be at least 1024")
	check(c.BatchWait <= 0, "FORWARD_BATCH_WAIT must be positive")
	check(c.Senders < 1 || c.Senders > 64, "FORWARD_SENDERS %d: want 1 to 64", c.Senders)
	check(c.RetryMax <= 0, "FORWARD_RETRY_MAX must be positive")
	check(c.ShutdownGrace <= 0, "FORWARD_SHUTDOWN_GRACE must be positive")
	p.Add(c.Kafka.Validate())
}

// defaultSenders is how many batches are in delivery at once unless
// FORWARD_SENDERS says otherwise. Elasticsearch (and the archive) keep two
// requests (transactions) going, so the sink is never idle while a batch is
// formatted or answered; HEC
// four, because each sender also gzips its batch (with two, compression
// stalled whenever both waited on Splunk: 0.43 against 0.50 of the raw
// consume rate in the benchmark), and eight while indexer
// acknowledgements take their seconds. Syslog and file write one
// connection or file, in order.
func (c *Config) defaultSenders() int {
	switch {
	case c.Sink == "splunk" && c.HECAck:
		return 8
	case c.Sink == "splunk":
		return 4
	case c.Sink == "elastic", c.Sink == "postgres":
		return 2
	default:
		return 1
	}
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
