package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// inspector is the MCP inspector's CLI from npm (inspector/package.json),
// installed by .ci/run (npm ci --prefix cmd/mcp/inspector): a client
// independent of the Go SDK, on the TypeScript SDK.
var inspector = filepath.Join("inspector", "node_modules", "@modelcontextprotocol", "inspector-cli", "build", "index.js")

// TestInspectorCLI: the MCP inspector's CLI lists the tools and asks for
// the naming violations in the Revenue app, over stdio (it starts the
// built binary, as a desktop client does) and over streamable HTTP with a
// token.
func TestInspectorCLI(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the MCP inspector: %v", err)
	}
	if _, err := os.Stat(inspector); err != nil {
		t.Fatalf("the MCP inspector is not installed: run npm ci --prefix cmd/mcp/inspector (.ci/run does): %v", err)
	}
	script, err := filepath.Abs(inspector)
	if err != nil {
		t.Fatal(err)
	}
	env := mustEnv(t)
	token, err := runCmd(t, env, "tokens", "add", "inspector", "--scopes", "inventory")
	if err != nil {
		t.Fatal(err)
	}
	inspect := func(target []string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), node, append(append([]string{script}, target...), args...)...)
		// The CLI finds its package.json relative to the working directory.
		cmd.Dir = filepath.Dir(inspector)
		cmd.Env = append(os.Environ(), "DATABASE_URL="+env["DATABASE_URL"], "MCP_DATABASE_URL="+env["MCP_DATABASE_URL"])
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("inspector %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	ask := []string{"--method", "tools/call", "--tool-name", "naming_violations", "--tool-arg", "application=Revenue"}
	stdio := []string{bin, "serve"}
	if out := inspect(stdio, "--method", "tools/list"); !strings.Contains(out, `"top_changes"`) || !strings.Contains(out, `"readOnlyHint": true`) {
		t.Errorf("inspector tools/list over stdio = %.1000s, want the tools, read-only", out)
	}
	if out := inspect(stdio, ask...); !strings.Contains(out, "revenue forecast") {
		t.Errorf("inspector naming_violations over stdio = %.1000s, want revenue forecast", out)
	}
	endpoint, _, stop := startHTTP(t, env)
	defer stop()
	overHTTP := []string{endpoint}
	if out := inspect(overHTTP, append(ask, "--transport", "http", "--header", "Authorization: Bearer "+strings.TrimSpace(token))...); !strings.Contains(out, "revenue forecast") {
		t.Errorf("inspector naming_violations over HTTP = %.1000s, want revenue forecast", out)
	}
}
