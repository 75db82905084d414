package mcpserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
)

// The scopes a token can hold: each tool needs one (README, "mcp").
const (
	ScopeEvents    = "events"
	ScopeAlerts    = "alerts"
	ScopeInventory = "inventory"
	ScopeReports   = "reports"
)

// Scopes are every scope, in the order the README lists them.
var Scopes = []string{ScopeEvents, ScopeAlerts, ScopeInventory, ScopeReports}

// tokenPrefix marks the server's tokens, so a leaked one is recognisable
// (secret scanners, logs) for what it is.
const tokenPrefix = "pmcp_"

var tokenName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ErrNoToken is Revoke's answer for a name that holds no active token.
var ErrNoToken = errors.New("no such token")

// TokenInfo is a token as `mcp tokens list` shows it: never the token,
// which only its holder has.
type TokenInfo struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Tokens keeps the bearer tokens in mcp_tokens as SHA-256 hashes: a
// 32-byte random token needs no slow hash, and a stolen table gives no
// token. Adding and revoking need a role that can write (DATABASE_URL);
// Verify needs only pigment_mcp_reader. Safe for concurrent use.
type Tokens struct{ db DB }

// NewTokens returns the tokens kept in db.
func NewTokens(db DB) *Tokens { return &Tokens{db: db} }

// ParseScopes reads --scopes: a comma-separated list of Scopes.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, sc := range strings.Split(s, ",") {
		sc = strings.ToLower(strings.TrimSpace(sc))
		if !slices.Contains(Scopes, sc) {
			return nil, fmt.Errorf("scope %q: want a comma-separated list of %s", sc, strings.Join(Scopes, ", "))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// hashToken is what mcp_tokens keeps of token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Add creates the token name with scopes and returns it: the only time it
// is ever shown. A name already used (even revoked) is refused, so the
// call log's token names stay unambiguous.
func (t *Tokens) Add(ctx context.Context, name string, scopes []string) (string, error) {
	if !tokenName.MatchString(name) {
		return "", fmt.Errorf("token name %q: want 1 to 64 letters, digits, '.', '_' or '-'", name)
	}
	if len(scopes) == 0 {
		return "", errors.New("a token needs at least one scope")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	tag, err := t.db.Exec(ctx, `INSERT INTO mcp_tokens (name, sha256, scopes) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, hashToken(token), scopes)
	if err != nil {
		return "", fmt.Errorf("add token %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("add token %q: the name is taken (revoked tokens keep theirs)", name)
	}
	return token, nil
}

// List returns every token, revoked ones included, by name.
func (t *Tokens) List(ctx context.Context) ([]TokenInfo, error) {
	rows, err := t.db.Query(ctx, `SELECT name, scopes, created_at, revoked_at FROM mcp_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[TokenInfo])
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Revoke ends the token name at once: the next request that presents it
// is refused. ErrNoToken when there is no active token of that name.
func (t *Tokens) Revoke(ctx context.Context, name string) error {
	tag, err := t.db.Exec(ctx, `UPDATE mcp_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`, name)
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token %q: %w", name, ErrNoToken)
	}
	return nil
}

// Verify is the HTTP server's auth.TokenVerifier: an active token's name
// (UserID) and scopes, else auth.ErrInvalidToken. It is asked on every
// request, so a revoked token stops working at once.
func (t *Tokens) Verify(ctx context.Context, token string, _ *http.Request) (*auth.TokenInfo, error) {
	if !strings.HasPrefix(token, tokenPrefix) {
		return nil, auth.ErrInvalidToken
	}
	var name string
	var scopes []string
	err := t.db.QueryRow(ctx, `SELECT name, scopes FROM mcp_tokens WHERE sha256 = $1 AND revoked_at IS NULL`, hashToken(token)).
		Scan(&name, &scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, auth.ErrInvalidToken
	}
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return &auth.TokenInfo{UserID: name, Scopes: scopes}, nil
}
