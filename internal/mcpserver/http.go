package mcpserver

import (
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Handler serves s over streamable HTTP (the MCP transport for remote
// clients) behind bearer tokens: a request without an active token of
// tokens is answered 401 before it reaches the server, and the token's
// name and scopes go with each call to the server's guard. Revocation
// takes effect at the next request: every request is verified.
func (s *Server) Handler(tokens *Tokens) http.Handler {
	// Stateless: each request is whole (its token verified, its call
	// answered), no session outlives it, and nothing is left to close when
	// the server stops. The tools need no session: they only answer.
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s.mcp }, &mcp.StreamableHTTPOptions{Stateless: true})
	// Tokens have no expiry of their own: they live until revoked.
	return auth.RequireBearerToken(tokens.Verify, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(h)
}
