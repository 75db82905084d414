// Package mcptest holds the helpers the tests of the MCP server and its
// program share: a login role granted the server's read-only role, and a
// client of the SDK that sends a bearer token.
package mcptest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// MustReaderRole creates a login role granted pigment_mcp_reader, as the
// README tells an operator to, and returns dbURL (a migrated database) as
// that role. The role is dropped when the test ends (it owns nothing and
// holds no privilege of its own, so the database need not go first).
func MustReaderRole(tb testing.TB, dbURL string) string {
	tb.Helper()
	role := "mcp_reader_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, testkit.AdminDatabaseURL())
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(tb.Context(), "CREATE ROLE "+role+" LOGIN IN ROLE pigment_mcp_reader"); err != nil {
		tb.Fatalf("create reader role: %v", err)
	}
	tb.Cleanup(func() {
		if err := exec(context.Background(), "DROP ROLE IF EXISTS "+role); err != nil {
			tb.Errorf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// Connect connects a client of the SDK to the streamable HTTP endpoint,
// sending token ("" for none) with every request; the session is closed
// when the test ends.
func Connect(tb testing.TB, endpoint, token string) (*mcp.ClientSession, error) {
	tb.Helper()
	tr := &mcp.StreamableClientTransport{Endpoint: endpoint, MaxRetries: -1, DisableStandaloneSSE: true,
		HTTPClient: &http.Client{Transport: bearer{token: token, next: http.DefaultTransport}}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(tb.Context(), tr, nil)
	if err == nil {
		tb.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

// bearer adds the token to every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}
