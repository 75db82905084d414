// Package mcpserver is the read-only MCP server over the archive and the
// inventory (cmd/mcp, README "mcp"): typed tools that answer an auditor's
// questions ("top 5 applications by changes this month", "who has not
// logged in for 60 days", ...) from the same tables, and where the
// question is the same with the same SQL, as the reports; resources that
// say how complete the archive is; bearer tokens with scopes for HTTP.
//
// It is built on the official Go SDK (github.com/modelcontextprotocol/go-sdk):
// the protocol, schemas inferred from the tools' Go types, and the stdio and
// streamable HTTP transports are the SDK's. No tool takes SQL; every answer
// is capped (Limits) and says so; every call is logged with the token's
// name, the tool and its arguments. The server reads through a role that
// cannot write (pigment_mcp_reader), in read-only transactions besides.
package mcpserver

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/report"
)

// DB is what the server reads through: a *pgxpool.Pool. It reads what the
// reports read, and runs statements of its own (SET, the token table).
type DB interface {
	report.DB
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Config is what New needs.
type Config struct {
	DB     DB
	Limits Limits
	// ReportsDir is where the reports are written (REPORT_OUT), read by
	// latest_report; "" reads only the attestations.
	ReportsDir string
	// Version is the product's version, told to clients.
	Version string
	Logger  zerolog.Logger
	// Now is the clock ("this month", "as of today"); time.Now when nil.
	Now func() time.Time
}

// Server answers MCP clients. Its MCP method is the SDK server, for a
// transport (stdio) or NewHandler (HTTP). Safe for concurrent use.
type Server struct {
	cfg    Config
	mcp    *mcp.Server
	scopes map[string]string // tool name -> the scope it needs
}

// stdioCaller is the name calls over stdio are logged with: the local user
// who started the process, who needs no token (they hold the database URL).
const stdioCaller = "stdio"

// New returns a server with every tool and resource.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, scopes: map[string]string{}}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "pigment-audit", Title: "Pigment audit trail", Version: cfg.Version},
		&mcp.ServerOptions{Instructions: instructions})
	s.addEventTools()
	s.addMemberTools()
	s.addAlertTools()
	s.addInventoryTools()
	s.addReportTools()
	s.addResources()
	s.mcp.AddReceivingMiddleware(s.guard)
	return s
}

// MCP is the SDK server, to run on a transport.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// instructions tell the client's model what the server is for.
const instructions = `Read-only questions about a Pigment workspace's audit trail (every audit event archived, the alerts of the detectors, the daily KPIs, the attested reports) and its structure (inventory snapshots of applications and blocks). Times are UTC. Every answer is capped (see its cap and truncated fields); read the resource pigment-audit://archive/coverage to say how complete an answer is.`

// readOnly are the annotations of every tool: it reads, changes nothing,
// and its world is the archive alone.
func readOnly(title string) *mcp.ToolAnnotations {
	no := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &no, OpenWorldHint: &no}
}

// toolDoc is what a client's model reads to choose a tool: its title and
// description in tools.json, kept apart from the code so the prose of all
// the tools reads together.
type toolDoc struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

//go:embed tools.json
var toolsJSON []byte

// toolDocs are tools.json by tool name.
var toolDocs = func() map[string]toolDoc {
	var m map[string]toolDoc
	if err := json.Unmarshal(toolsJSON, &m); err != nil {
		panic(fmt.Sprintf("mcpserver: tools.json: %v", err)) // caught by every test
	}
	return m
}()

// addTool registers the read-only tool name, documented in tools.json, that
// needs scope (checked by guard before fn runs, with the call's log line).
// A tool without a description is a programming error: it panics, as the
// SDK does on a tool whose input type has no schema.
func addTool[In, Out any](s *Server, scope, name string, fn func(ctx context.Context, in In) (Out, error)) {
	doc, ok := toolDocs[name]
	if !ok || doc.Title == "" || doc.Description == "" {
		panic("mcpserver: tool " + name + " has no title or description in tools.json")
	}
	s.scopes[name] = scope
	t := &mcp.Tool{Name: name, Title: doc.Title, Description: doc.Description + " Needs the token scope " + scope + ".",
		Annotations: readOnly(doc.Title)}
	mcp.AddTool(s.mcp, t, func(ctx context.Context, _ *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		out, err := fn(ctx, in)
		return nil, out, err
	})
}

// guard is the middleware every tool call and resource read passes: a
// caller whose token lacks the tool's (or resource's) scope is refused
// before it runs, and every call, refused, failed (unknown tool, arguments
// that do not fit the schema) or answered, is logged with the caller's
// token name, the tool and its arguments: the audit trail of the auditors.
// Resources are guarded too: the coverage resource reads the archive, and
// must not answer a token that search_events refuses.
func (s *Server) guard(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch r := req.(type) {
		case *mcp.CallToolRequest:
			if method == "tools/call" {
				return s.guardTool(ctx, next, method, r)
			}
		case *mcp.ReadResourceRequest:
			if method == "resources/read" {
				return s.guardResource(ctx, next, method, r)
			}
		}
		return next(ctx, method, req)
	}
}

// caller is the token name and scopes of a request: over stdio, where no
// token is presented, the local user who holds the database URL and every
// scope.
func caller(extra *mcp.RequestExtra) (string, []string) {
	if extra != nil && extra.TokenInfo != nil {
		return extra.TokenInfo.UserID, extra.TokenInfo.Scopes
	}
	return stdioCaller, Scopes
}

func (s *Server) guardTool(ctx context.Context, next mcp.MethodHandler, method string, call *mcp.CallToolRequest) (mcp.Result, error) {
	name, scopes := caller(call.Extra)
	ev := s.cfg.Logger.Info().Str("token", name).Str("tool", call.Params.Name).RawJSON("arguments", arguments(call.Params.Arguments))
	if scope, known := s.scopes[call.Params.Name]; known && !slices.Contains(scopes, scope) {
		ev.Str("outcome", "refused").Msg("mcp call")
		return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{
			Text: fmt.Sprintf("refused: tool %s needs the scope %q, which token %q does not hold", call.Params.Name, scope, name)}}}, nil
	}
	start := time.Now()
	res, err := next(ctx, method, call)
	ev = ev.Dur("took", time.Since(start))
	switch r, _ := res.(*mcp.CallToolResult); {
	case err != nil:
		ev.Str("outcome", "error").Err(err).Msg("mcp call")
	case r != nil && r.IsError:
		ev.Str("outcome", "error").Str("error", errorText(r)).Msg("mcp call")
	default:
		ev.Str("outcome", "ok").Msg("mcp call")
	}
	return res, err
}

func (s *Server) guardResource(ctx context.Context, next mcp.MethodHandler, method string, read *mcp.ReadResourceRequest) (mcp.Result, error) {
	name, scopes := caller(read.Extra)
	uri := read.Params.URI
	ev := s.cfg.Logger.Info().Str("token", name).Str("resource", uri)
	if scope, known := resourceScopes[uri]; known && !slices.Contains(scopes, scope) {
		ev.Str("outcome", "refused").Msg("mcp read")
		return nil, fmt.Errorf("refused: resource %s needs the scope %q, which token %q does not hold", uri, scope, name)
	}
	res, err := next(ctx, method, read)
	if err != nil {
		ev.Str("outcome", "error").Err(err).Msg("mcp read")
	} else {
		ev.Str("outcome", "ok").Msg("mcp read")
	}
	return res, err
}

// errorText is the text of a tool's error result.
func errorText(r *mcp.CallToolResult) string {
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

// maxLoggedArguments is the most bytes of a call's arguments its log line
// copies: enough for every argument a tool takes, and a client sending
// megabytes (the HTTP transport accepts 4 MiB) cannot make every call a
// megabyte of log.
const maxLoggedArguments = 4 << 10

// arguments is raw as a log field: {} when empty, and a JSON string when
// it is not valid JSON or longer than maxLoggedArguments (then cut, saying
// how long it was), so the log line stays valid and bounded.
func arguments(raw json.RawMessage) []byte {
	switch {
	case len(raw) == 0:
		return []byte("{}")
	case len(raw) > maxLoggedArguments:
		b, _ := json.Marshal(fmt.Sprintf("%s... (cut: %d bytes)", raw[:maxLoggedArguments], len(raw)))
		return b
	case json.Valid(raw):
		return raw
	}
	b, _ := json.Marshal(string(raw))
	return b
}
