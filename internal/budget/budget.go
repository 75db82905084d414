// Package budget shares the Pigment API's request budget (500 requests per 5
// minutes per IP, shared by every public endpoint) among every process
// calling one API host: the live extractor, backfills, operator commands and
// the inventory (whose Metadata API key differs from the audit key, but not
// its budget: see ForAPI). The budget lives in Postgres as a sliding-window
// log of request times per key, plus a block set when the API answered 429
// anyway.
//
// The sliding window admits at most Limit requests in any interval of length
// Window, so it never exceeds a server that counts in fixed windows either.
// Postgres' clock_timestamp() is the only clock, and each check holds a
// transaction-scoped advisory lock on the key, so processes on different
// hosts never over-spend together.
package budget

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/backoff"
)

// Class is the priority of a budget's requests.
type Class int

// Classes: Live may use every slot of a window; Backfill all but Reserve, so
// a backfill never starves the live extractor; Background (the inventory)
// all but Reserve or as many slots as Live used in the window, whichever is
// more, so the live extractor can always use its reserve or double its
// recent pace (a catch-up) without waiting for it. The values are stored in
// the log.
const (
	Live Class = iota
	Backfill
	Background
)

// String returns "live", "backfill" or "background".
func (c Class) String() string {
	switch c {
	case Live:
		return "live"
	case Backfill:
		return "backfill"
	case Background:
		return "background"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Config configures a Budget. Processes sharing an API key must agree on Key,
// Limit, Window and Reserve.
type Config struct {
	// Key is the budget's identity: a hash of the API key (the caller does
	// sha256), never the key itself. It is hashed again before it is stored.
	Key string
	// Limit is the number of requests allowed per Window (500).
	Limit int
	// Window is the length of the rate window (5m).
	Window time.Duration
	// Reserve is the number of slots of every window only Live may use:
	// 0 means Limit/10, negative means none. It must be less than Limit.
	Reserve int
	// Class is the priority of this process's requests.
	Class Class
	// Poll is the longest sleep between re-checks while waiting (default 1s);
	// shorter when the computed wait is shorter.
	Poll time.Duration
}

// Budget is one process's handle on a shared budget. It is safe for
// concurrent use.
type Budget struct {
	pool    *pgxpool.Pool
	key     string // stored key
	lockKey int64  // advisory lock key
	limit   int    // slots this class may fill in a window (Background: less Live's use beyond reserve)
	reserve int
	class   Class
	window  time.Duration
	poll    time.Duration

	held atomic.Int64 // times Wait found no slot for this class and slept
}

// New validates cfg and returns a Budget. The schema must have been applied
// (migrations.Apply).
func New(pool *pgxpool.Pool, cfg Config) (*Budget, error) {
	if cfg.Reserve == 0 {
		cfg.Reserve = cfg.Limit / 10
	}
	if cfg.Reserve < 0 {
		cfg.Reserve = 0
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	switch {
	case pool == nil:
		return nil, errors.New("budget: nil pool")
	case cfg.Key == "":
		return nil, errors.New("budget: Key is required")
	case cfg.Limit <= 0:
		return nil, fmt.Errorf("budget: Limit %d must be positive", cfg.Limit)
	case cfg.Window <= 0:
		return nil, fmt.Errorf("budget: Window %v must be positive", cfg.Window)
	case cfg.Reserve >= cfg.Limit:
		return nil, fmt.Errorf("budget: Reserve %d must be less than Limit %d", cfg.Reserve, cfg.Limit)
	case cfg.Class != Live && cfg.Class != Backfill && cfg.Class != Background:
		return nil, fmt.Errorf("budget: unknown %v", cfg.Class)
	}
	sum := sha256.Sum256([]byte("pigment-siem/budget:" + cfg.Key))
	h := fnv.New64a()
	h.Write(sum[:])
	b := &Budget{
		pool:    pool,
		key:     hex.EncodeToString(sum[:]),
		lockKey: int64(h.Sum64()),
		limit:   cfg.Limit,
		reserve: cfg.Reserve,
		class:   cfg.Class,
		window:  cfg.Window,
		poll:    cfg.Poll,
	}
	if cfg.Class != Live {
		b.limit = cfg.Limit - cfg.Reserve
	}
	return b, nil
}

// Wait blocks until this class may make a request without exceeding the
// budget, then records the request (so the caller must make it). While the
// key is blocked by Throttled, or the window is full for this class, it
// sleeps until the blocking request leaves the window (at most Poll at a
// time) and checks again. It returns ctx's error, wrapped, if ctx is done
// first; nothing is recorded then.
func (b *Budget) Wait(ctx context.Context) error {
	for {
		wait, err := b.try(ctx)
		if err != nil {
			return fmt.Errorf("wait for request budget: %w", err)
		}
		if wait <= 0 {
			return nil
		}
		b.held.Add(1)
		if err := backoff.Sleep(ctx, min(wait, b.poll)); err != nil {
			return fmt.Errorf("wait for request budget: %w", err)
		}
	}
}

// Held is how many times Wait found no slot for this class (the key was
// blocked by Throttled or the window full) and slept: 0 for the live
// extractor means nothing, not even the inventory, ever held it back.
func (b *Budget) Held() int64 { return b.held.Load() }

// try records a request and returns 0 if the budget allows one now, or else
// how long until it may.
func (b *Budget) try(ctx context.Context) (time.Duration, error) {
	var wait time.Duration
	err := b.locked(ctx, func(tx pgx.Tx, now time.Time) error {
		var blocked *time.Time
		err := tx.QueryRow(ctx, `SELECT blocked_until FROM rate_budget WHERE key = $1`, b.key).Scan(&blocked)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if blocked != nil && blocked.After(now) {
			wait = blocked.Sub(now)
			return nil
		}
		if wait, err = b.full(ctx, tx, now); err != nil || wait > 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO rate_budget_log (key, at, class) VALUES ($1, $2, $3)`,
			b.key, now, int16(b.class))
		return err
	})
	return wait, err
}

// full returns 0 when this class may make a request now, else how long
// until the request that must leave the window first does.
func (b *Budget) full(ctx context.Context, tx pgx.Tx, now time.Time) (time.Duration, error) {
	limit := b.limit
	if b.class == Background {
		var live int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM rate_budget_log WHERE key = $1 AND at > $2 AND class = $3`,
			b.key, now.Add(-b.window), int16(Live)).Scan(&live)
		if err != nil {
			return 0, err
		}
		limit -= max(live-b.reserve, 0)
	}
	// The limit-th newest request in the window, if there is one, must
	// leave it first; with a limit <= 0 (Live used the room), the oldest
	// leaves first, and the check is repeated then.
	q := `SELECT at FROM rate_budget_log WHERE key = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`
	if limit <= 0 {
		q = `SELECT at FROM rate_budget_log WHERE key = $1 AND at > $2 ORDER BY at LIMIT $3 + 1`
	}
	var oldest time.Time
	err := tx.QueryRow(ctx, q, b.key, now.Add(-b.window), max(limit-1, 0)).Scan(&oldest)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, err
	}
	// Sleep past the instant, so the next check sees it gone.
	return oldest.Add(b.window).Sub(now) + time.Millisecond, nil
}

// locked runs fn in a transaction holding the key's advisory lock, with
// Postgres' clock as now, after pruning requests older than the window.
func (b *Budget) locked(ctx context.Context, fn func(tx pgx.Tx, now time.Time) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var now time.Time
		err := tx.QueryRow(ctx, `SELECT clock_timestamp() FROM pg_advisory_xact_lock($1)`, b.lockKey).Scan(&now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rate_budget_log WHERE key = $1 AND at <= $2`,
			b.key, now.Add(-b.window)); err != nil {
			return err
		}
		return fn(tx, now)
	})
}

// Throttled records that the API answered 429 although the budget allowed
// the request (someone else spends from the same key or IP): every process
// sharing the key pauses until now + retryAfter (Window when retryAfter is
// 0; an existing later block is kept). Then it sleeps until the block ends,
// or returns ctx's error, wrapped.
func (b *Budget) Throttled(ctx context.Context, retryAfter time.Duration) error {
	if retryAfter <= 0 {
		retryAfter = b.window
	}
	wait, err := b.block(ctx, retryAfter)
	if err != nil {
		return fmt.Errorf("record throttling: %w", err)
	}
	if err := backoff.Sleep(ctx, wait); err != nil {
		return fmt.Errorf("wait after throttling: %w", err)
	}
	return nil
}

// block sets blocked_until = now + d unless later, and returns how long the
// key is blocked from now.
func (b *Budget) block(ctx context.Context, d time.Duration) (time.Duration, error) {
	var wait time.Duration
	err := b.locked(ctx, func(tx pgx.Tx, now time.Time) error {
		var until time.Time
		err := tx.QueryRow(ctx, `
INSERT INTO rate_budget (key, blocked_until, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE
SET blocked_until = GREATEST(rate_budget.blocked_until, EXCLUDED.blocked_until), updated_at = $3
RETURNING blocked_until`, b.key, now.Add(d), now).Scan(&until)
		wait = until.Sub(now)
		return err
	})
	return wait, err
}

// Remaining returns how many requests this class could make now: 0 while the
// key is blocked by Throttled. For Background it leaves free Reserve or
// what Live used in the window, whichever is more, as Wait does.
func (b *Budget) Remaining(ctx context.Context) (int, error) {
	var n int
	err := b.locked(ctx, func(tx pgx.Tx, now time.Time) error {
		var (
			used, live int
			blocked    bool
		)
		err := tx.QueryRow(ctx, `
SELECT (SELECT count(*) FROM rate_budget_log WHERE key = $1 AND at > $2),
       (SELECT count(*) FROM rate_budget_log WHERE key = $1 AND at > $2 AND class = $4),
       COALESCE((SELECT blocked_until > $3 FROM rate_budget WHERE key = $1), false)`,
			b.key, now.Add(-b.window), now, int16(Live)).Scan(&used, &live, &blocked)
		limit := b.limit
		if b.class == Background {
			limit -= max(live-b.reserve, 0)
		}
		if !blocked {
			n = max(limit-used, 0)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("remaining request budget: %w", err)
	}
	return n, nil
}

// ForAPI is the Config.Key of every process calling the API at apiURL:
// Pigment counts requests per IP, for all its public endpoints and all
// keys, so the budget is the host's, whichever key (audit or metadata) a
// process sends. It is a hash of the host in lower case, without a
// trailing dot, and with its port unless the scheme's default (so
// https://pigment.app and https://pigment.app:443/ share one budget); a
// URL that does not parse is hashed whole.
func ForAPI(apiURL string) string {
	host := apiURL
	if u, err := url.Parse(apiURL); err == nil && u.Host != "" {
		host = strings.TrimSuffix(u.Hostname(), ".")
		if p := u.Port(); p != "" && p != defaultPorts[strings.ToLower(u.Scheme)] {
			host = net.JoinHostPort(host, p)
		}
	}
	sum := sha256.Sum256([]byte("pigment-api-host\x00" + strings.ToLower(host)))
	return hex.EncodeToString(sum[:8])
}

// defaultPorts are the ports a URL of each scheme means without one.
var defaultPorts = map[string]string{"https": "443", "http": "80"}
