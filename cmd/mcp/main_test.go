package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/mcpserver/mcptest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// bin is the mcp binary TestMain builds, for the stdio test.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks, testkit.Binary{Dir: ".", Path: &bin}))
}

// env is a database migrated through `mcp migrate`, an inventory snapshot
// of inventorytest's workspace in it, and a login role granted
// pigment_mcp_reader: DATABASE_URL and MCP_DATABASE_URL.
func mustEnv(t *testing.T) map[string]string {
	t.Helper()
	db := testkit.MustPostgres(t)
	env := map[string]string{"DATABASE_URL": db, "LOG_FORMAT": "json"}
	if _, err := runCmd(t, env, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	pool, err := pgxpool.New(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pub, _ := inventorytest.MustPublisher(t)
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.New(inventory.Config{Policy: policy, AlertsTopic: testkit.Name("alerts"), MaxMessageBytes: 1 << 20,
		Interval: time.Hour, Retention: time.Hour, Logger: zerolog.Nop()}, inventorytest.New(), inventory.NewStore(pool), pub,
		prometheus.NewRegistry()).Once(t.Context()); err != nil {
		t.Fatal(err)
	}
	env["MCP_DATABASE_URL"] = mcptest.MustReaderRole(t, db)
	return env
}

// runCmd runs the program with args and env; its stdout, and its error.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, envconfig.MapLookuper(env), &stdout, &stderr)
	return stdout.String(), err
}

// TestTokens: add prints the token once, list shows names and scopes and
// never a token, revoke marks it; a bad scope, a name taken and an unknown
// name are refused.
func TestTokens(t *testing.T) {
	t.Parallel()
	env := mustEnv(t)
	token, err := runCmd(t, env, "tokens", "add", "alice", "--scopes", "events,alerts")
	if err != nil || !strings.HasPrefix(token, "pmcp_") {
		t.Fatalf("tokens add = %q, %v; want a token", token, err)
	}
	list, err := runCmd(t, env, "tokens", "list")
	if err != nil || !strings.Contains(list, "alice") || !strings.Contains(list, "events,alerts") || strings.Contains(list, strings.TrimSpace(token)) {
		t.Errorf("tokens list = %q, %v; want alice with events,alerts and no token", list, err)
	}
	if _, err := runCmd(t, env, "tokens", "revoke", "alice"); err != nil {
		t.Errorf("revoke: %v", err)
	}
	list, _ = runCmd(t, env, "tokens", "list")
	if lines := strings.Split(strings.TrimSpace(list), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "alice") ||
		strings.HasSuffix(lines[1], "-") {
		t.Errorf("tokens list after revoke = %q, want alice with the time revoked", list)
	}
	for _, args := range [][]string{
		{"tokens", "add", "bob", "--scopes", "everything"},
		{"tokens", "add", "alice", "--scopes", "events"},
		{"tokens", "add", "bad name", "--scopes", "events"},
		{"tokens", "revoke", "carol"},
	} {
		if out, err := runCmd(t, env, args...); err == nil {
			t.Errorf("%v = %q, want an error", args, out)
		}
	}
}

// TestServeHTTP: serve --http answers a client of the SDK with a token,
// refuses a request without one, and stops cleanly on cancel.
func TestServeHTTP(t *testing.T) {
	t.Parallel()
	env := mustEnv(t)
	token, err := runCmd(t, env, "tokens", "add", "ci", "--scopes", "inventory")
	if err != nil {
		t.Fatal(err)
	}
	endpoint, stderr, stop := startHTTP(t, env)
	resp, err := http.Post(endpoint, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", resp.StatusCode)
	}
	cs, err := mcptest.Connect(t, endpoint, strings.TrimSpace(token))
	if err != nil {
		t.Fatalf("connect with a token: %v\n%s", err, stderr.String())
	}
	checkNaming(t, cs)
	_ = cs.Close()
	if err := stop(); err != nil {
		t.Errorf("serve --http after cancel: %v", err)
	}
	if !strings.Contains(stderr.String(), `"token":"ci","tool":"naming_violations"`) {
		t.Errorf("the call is not logged with the token's name:\n%s", stderr.String())
	}
}

// startHTTP runs serve --http on a free port of 127.0.0.1 until stop,
// which returns what serve returned; the endpoint and serve's stderr.
func startHTTP(t *testing.T, env map[string]string) (string, *testkit.SyncBuffer, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	stderr := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--http", addr}, envconfig.MapLookuper(env), &bytes.Buffer{}, stderr)
	}()
	stop := func() error { cancel(); return <-done }
	if !testkit.Eventually(10*time.Second, func() bool { return strings.Contains(stderr.String(), "serving MCP over streamable HTTP") }) {
		_ = stop()
		t.Fatalf("serve --http did not start: %s", stderr.String())
	}
	return "http://" + addr + "/mcp", stderr, stop
}

// TestServeStdio: the built binary, started by a client of the SDK as a
// desktop client starts it, answers over stdio.
func TestServeStdio(t *testing.T) {
	t.Parallel()
	env := mustEnv(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+env["DATABASE_URL"], "MCP_DATABASE_URL="+env["MCP_DATABASE_URL"])
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(t.Context(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("start mcp serve: %v", err)
	}
	checkNaming(t, cs)
	if err := cs.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

// checkNaming asks for the naming violations in the Revenue app:
// inventorytest's one, "revenue forecast".
func checkNaming(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	tools, err := cs.ListTools(t.Context(), nil)
	if err != nil || len(tools.Tools) < 10 {
		t.Fatalf("list tools: %v, %v", tools, err)
	}
	res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "naming_violations", Arguments: map[string]any{"application": "Revenue"}})
	if err != nil || res.IsError {
		t.Fatalf("naming_violations: %v %+v", err, res)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if !strings.Contains(text.String(), `"revenue forecast"`) || strings.Contains(text.String(), "Sandbox") {
		t.Errorf("naming violations in Revenue = %s, want revenue forecast alone", text.String())
	}
}
