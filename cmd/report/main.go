// Command report writes the weekly reliability check and the monthly
// compliance audit from the archive (forward SINK=postgres), checks that
// the period is complete first, and verifies and attests written reports.
// See the README, "## report".
package main

import (
	"cmp"
	"context"
	"os"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: report COMMAND [flags]

commands:
  weekly  [--week 2026-W48]  [flags]   the weekly reliability check (default: the last complete ISO week at --as-of)
  monthly [--month 2026-11]  [flags]   the monthly compliance audit (default: the last complete month at --as-of)
      --out DIR               the report's directory (default: $REPORT_OUT/weekly-2026-W48)
      --format LIST           of html, json, csv, pdf (default: html,json,csv)
      --as-of T               the generation time stated (default: now); the same archive gives the same bytes
      --allow-incomplete      write the report, marked INCOMPLETE, when the completeness check fails
  verify DIR                  recompute every hash of DIR/manifest.sha256; exit 1 on any change
  attest DIR --reviewer NAME --decision approved|rejected [--comment C]
                              verify DIR, then record the decision with the manifest's hash
  attestations [--limit K]    the attestations, newest first (default 20)
  migrate                     apply database migrations and exit

exit status: 0 done; 1 error (or verify found a change); 2 usage; 3 the period is not complete yet
times T: RFC 3339 (2026-12-01T06:00:00Z) or a date (2026-12-01, midnight UTC)
`

// version is the product version reports state; set it with
// go build -ldflags "-X main.version=1.4.0". Empty: the module version and
// VCS revision stamped by the Go toolchain.
var version string

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("report", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("report", run))
}

// dispatch runs one command; whatever fails, neither database's password
// reaches the message (Command scrubs DATABASE_URL's, this the archive's).
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	a := &app{cfg: cfg, log: inv.Log}
	return pgdsn.Scrub(a.dispatch(ctx, inv), cfg.archiveURL())
}

func (a *app) dispatch(ctx context.Context, inv *daemon.Invocation) error {
	rest, stdout, stderr := inv.Args, inv.Stdout, inv.Stderr
	switch inv.Cmd {
	case "weekly", "monthly":
		return a.generate(ctx, inv.Cmd, rest, stdout, stderr)
	case "verify":
		return a.verify(rest, stdout, stderr)
	case "attest":
		return a.attest(ctx, rest, stdout, stderr)
	case "attestations":
		return a.attestations(ctx, rest, stdout, stderr)
	case "migrate":
		return a.cfg.Database.Migrate(ctx)
	}
	return inv.Unknown()
}

// Config is every environment variable report reads (README, "## report").
type Config struct {
	// DatabaseURL holds extract's checkpoints and run history, and the
	// attestations; the archive is ARCHIVE_DATABASE_URL, default the same.
	daemon.Database
	ArchiveDatabaseURL string `env:"ARCHIVE_DATABASE_URL"`

	Kafka       envcfg.Kafka
	Topic       string `env:"KAFKA_TOPIC, default=pigment.audit.events"`
	AlertsTopic string `env:"KAFKA_ALERTS_TOPIC, default=pigment.audit.alerts"`
	DLQTopic    string `env:"KAFKA_DLQ_TOPIC, default=pigment.audit.dlq"`
	// ArchiveGroupID is the archive's consumer group: forward SINK=postgres
	// names it forward-postgres unless KAFKA_GROUP_ID says otherwise.
	ArchiveGroupID string `env:"ARCHIVE_GROUP_ID, default=forward-postgres"`

	Workspace string        `env:"PIGMENT_WORKSPACE, default=default"`
	Overlap   envcfg.Days   `env:"PIGMENT_OVERLAP, default=10m"` // as extract's
	Wait      time.Duration `env:"REPORT_WAIT, default=1m"`
	Out       string        `env:"REPORT_OUT, default=reports"`
	// ChromiumPath is the browser --format pdf prints with; empty: chromium,
	// chromium-browser or google-chrome on PATH.
	ChromiumPath string `env:"CHROMIUM_PATH"`

	daemon.Settings
}

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{})
}

// Check implements daemon.Config.
func (c *Config) Check(p *envcfg.Problems) {
	check := p.Check
	check(c.Workspace == "", "PIGMENT_WORKSPACE must not be empty")
	check(c.Topic == "", "KAFKA_TOPIC must not be empty")
	check(c.DLQTopic == "" || c.DLQTopic == c.Topic, "KAFKA_DLQ_TOPIC must be set and differ from KAFKA_TOPIC")
	check(c.ArchiveGroupID == "", "ARCHIVE_GROUP_ID must not be empty")
	check(c.Overlap < 0, "PIGMENT_OVERLAP must not be negative")
	check(c.Wait < 0, "REPORT_WAIT must not be negative")
	check(c.Out == "", "REPORT_OUT must not be empty")
	p.Add(c.Kafka.Validate())
}

// archiveURL is ARCHIVE_DATABASE_URL, else DATABASE_URL.
func (c *Config) archiveURL() string {
	return cmp.Or(c.ArchiveDatabaseURL, c.DatabaseURL)
}
