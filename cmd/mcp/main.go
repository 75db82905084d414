// Command mcp is a read-only MCP server over the archive and the
// inventory: an analyst asks in an MCP client (Claude Desktop, an IDE, an
// agent) and the answers come from the same tables as the reports. See the
// README, "## mcp".
package main

import (
	"context"
	"os"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const usage = `usage: mcp COMMAND [flags]

commands:
  serve                            serve MCP over stdio (for desktop clients), reading MCP_DATABASE_URL
  serve --http ADDR                serve MCP over streamable HTTP at ADDR/mcp; every request needs a bearer token
  tokens add NAME --scopes LIST    create a token for HTTP (LIST of events, alerts, inventory, reports) and print it, once
  tokens list                      the tokens (names, scopes, created, revoked), never the tokens themselves
  tokens revoke NAME               refuse the token from its next request on
  migrate                          apply database migrations (DATABASE_URL) and exit
`

// version is told to MCP clients; set with -ldflags "-X main.version=...".
var version = "dev"

// run is the whole program minus process exit, so tests can drive it.
var run = daemon.Command("mcp", usage, loadConfig, dispatch)

func main() {
	os.Exit(daemon.Main("mcp", run))
}

// dispatch runs one command; neither database's password reaches an error
// (Command scrubs DATABASE_URL's, this MCP_DATABASE_URL's).
func dispatch(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	return pgdsn.Scrub(dispatchCmd(ctx, cfg, inv), cfg.ReaderURL)
}

func dispatchCmd(ctx context.Context, cfg *Config, inv *daemon.Invocation) error {
	switch inv.Cmd {
	case "serve":
		return serve(ctx, cfg, inv)
	case "tokens":
		return tokens(ctx, cfg, inv)
	case "migrate":
		return cfg.Database.Migrate(ctx)
	}
	return inv.Unknown()
}
