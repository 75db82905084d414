package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/mcpserver"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

// Config is every environment variable mcp reads (README, "mcp").
type Config struct {
	// ReaderURL is the database serve reads through: a login role granted
	// pigment_mcp_reader (migration 00011), so no tool can write.
	ReaderURL        string        `env:"MCP_DATABASE_URL"`
	MaxRows          int           `env:"MCP_MAX_ROWS, default=500"`
	MaxBytes         int           `env:"MCP_MAX_BYTES, default=262144"`
	MaxDays          int           `env:"MCP_MAX_DAYS, default=400"`
	StatementTimeout time.Duration `env:"MCP_STATEMENT_TIMEOUT, default=15s"`
	// ReportsDir is REPORT_OUT, where latest_report finds the reports.
	ReportsDir string `env:"MCP_REPORTS_DIR"`
	TLSCert    string `env:"MCP_TLS_CERT_FILE"`
	TLSKey     string `env:"MCP_TLS_KEY_FILE"`

	// daemon.Database is DATABASE_URL: the tokens commands write mcp_tokens
	// through it, and migrate it.
	daemon.Database
	daemon.Settings
}

func loadConfig(ctx context.Context, l envconfig.Lookuper) (*Config, error) {
	return daemon.Load(ctx, l, &Config{})
}

// Check implements daemon.Config.
func (c *Config) Check(p *envcfg.Problems) {
	check := p.Check
	check(c.MaxRows < 1 || c.MaxRows > 10000, "MCP_MAX_ROWS must be 1 to 10000")
	check(c.MaxBytes < 1024 || c.MaxBytes > 16<<20, "MCP_MAX_BYTES must be 1024 to 16777216")
	check(c.MaxDays < 1 || c.MaxDays > 3660, "MCP_MAX_DAYS must be 1 to 3660")
	check(c.StatementTimeout <= 0, "MCP_STATEMENT_TIMEOUT must be positive")
	check((c.TLSCert == "") != (c.TLSKey == ""), "MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE go together")
}

// limits are the caps of every answer.
func (c *Config) limits() mcpserver.Limits {
	return mcpserver.Limits{MaxRows: c.MaxRows, MaxBytes: c.MaxBytes, MaxDays: c.MaxDays}
}

// openReader connects to MCP_DATABASE_URL with every session read-only and
// every statement bounded by MCP_STATEMENT_TIMEOUT: belt and braces over
// the role, which cannot write anyway. It does not migrate (the reader
// cannot), and checks that it can read what the tools read.
func (c *Config) openReader(ctx context.Context) (*pgxpool.Pool, error) {
	if c.ReaderURL == "" {
		return nil, fmt.Errorf("configuration: MCP_DATABASE_URL is required by serve: a login role granted pigment_mcp_reader (README, \"mcp\")")
	}
	pc, err := pgxpool.ParseConfig(c.ReaderURL)
	if err != nil {
		return nil, fmt.Errorf("MCP_DATABASE_URL: %w", err)
	}
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(c.StatementTimeout.Milliseconds())
	pc.ConnConfig.RuntimeParams["application_name"] = "pigment-mcp"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", pgdsn.Redact(c.ReaderURL), err)
	}
	if _, err := pool.Exec(ctx, `SELECT 1 FROM mcp_tokens, archive_events, inventory_blocks LIMIT 0`); err != nil {
		pool.Close()
		return nil, fmt.Errorf("read the archive at %s (is the role granted pigment_mcp_reader, and the database migrated?): %w",
			pgdsn.Redact(c.ReaderURL), err)
	}
	return pool, nil
}
