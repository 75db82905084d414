// Package pigment is the client for Pigment's Audit Logs API
// (GET /api/audit/v1/events) and, on the same request loop, its Metadata API
// (MetadataClient: GET /api/v1/applications, /blocks, /importConfigurations,
// /views). It speaks HTTP only: it pages through events,
// retries what is worth retrying, waits out rate limiting, and walks each
// answer's envelope (the events array, the cursor), reading every element
// with internal/event's one parser while keeping its exact JSON bytes. It
// knows nothing of Kafka or checkpoints.
//
// The API differs between sources in details; the client accepts both shapes:
// the next cursor at "nextEventsCursor" or "pagination.nextCursor", and the
// envelopes actor/target/metadata or actor/context/payload.
package pigment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/backoff"
)

// Limiter is the request budget the client draws from (a Postgres-shared
// budget in production). Implementations must be safe for concurrent use.
type Limiter interface {
	// Wait takes one request slot, blocking until one is free.
	Wait(ctx context.Context) error
	// Throttled is called on HTTP 429; retryAfter is 0 when the server sent
	// no Retry-After. It blocks until requests may resume.
	Throttled(ctx context.Context, retryAfter time.Duration) error
}

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	BaseURL      string           // e.g. "https://pigment.app" or "http://127.0.0.1:8080"; the client appends /api/audit/v1/events
	APIKey       string           // sent as Authorization: Bearer; never appears in logs or error strings
	HTTPClient   *http.Client     // nil: a client with sane timeouts (30s) and keep-alive
	Limiter      Limiter          // nil: unlimited, and on 429 the client itself sleeps Retry-After or RateWindow
	RateWindow   time.Duration    // default 5m; the wait on 429 without Retry-After when Limiter is nil
	MaxBodyBytes int64            // default 64 MiB; bigger body = malformed answer
	MaxAttempts  int              // default 8: attempts for 5xx, network errors, malformed/truncated bodies, before a loud error
	BaseBackoff  time.Duration    // default 500ms; jittered exponential (full jitter), capped at MaxBackoff
	MaxBackoff   time.Duration    // default 30s
	Lookback     time.Duration    // default 180*24h
	Logger       zerolog.Logger   // the zero Logger writes nothing
	Observe      func(status int) // optional: called for every HTTP answer with its status code; 0 for a network error / malformed body
	Now          func() time.Time // default time.Now (for tests)
}

// Defaults for Config's zero values.
const (
	DefaultRateWindow   = 5 * time.Minute
	DefaultMaxBodyBytes = 64 << 20
	DefaultMaxAttempts  = 8
	DefaultBaseBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultLookback     = 180 * 24 * time.Hour
	defaultHTTPTimeout  = 30 * time.Second
	eventsPath          = "/api/audit/v1/events"
	userAgent           = "pigment-siem-pipeline"
)

// Client fetches pages of audit events. It is safe for concurrent use; it
// holds no paging state (the caller passes since and cursor on every call).
type Client struct {
	cfg      Config
	base     string // BaseURL without a trailing slash
	endpoint string // base + eventsPath
	auth     string // "Bearer <key>"; only ever put in a request header
	key      *keyKind
}

// New validates cfg, fills in defaults and returns a Client. Errors name the
// field at fault: BaseURL must be an absolute http or https URL without
// credentials, query or fragment; APIKey must not be empty.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("pigment: BaseURL is empty")
	case err != nil:
		return nil, fmt.Errorf("pigment: BaseURL is not a URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("pigment: BaseURL %q must be an absolute http or https URL", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("pigment: BaseURL %q has no host", u.Redacted())
	case u.User != nil:
		return nil, errors.New("pigment: BaseURL must not contain credentials (the key goes in APIKey)")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("pigment: BaseURL %q must not have a query or fragment", u.Redacted())
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("pigment: APIKey is empty")
	}
	if cfg.MaxAttempts < 0 || cfg.MaxBodyBytes < 0 || cfg.BaseBackoff < 0 || cfg.MaxBackoff < 0 || cfg.RateWindow < 0 || cfg.Lookback < 0 {
		return nil, errors.New("pigment: MaxAttempts, MaxBodyBytes, BaseBackoff, MaxBackoff, RateWindow and Lookback must not be negative")
	}
	setDefaults(&cfg)
	base := strings.TrimRight(u.String(), "/")
	return &Client{
		cfg:      cfg,
		base:     base,
		endpoint: base + eventsPath,
		auth:     "Bearer " + cfg.APIKey,
		key:      auditKey,
	}, nil
}

func setDefaults(cfg *Config) {
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 4
		t.ResponseHeaderTimeout = defaultHTTPTimeout
		cfg.HTTPClient = &http.Client{Transport: t, Timeout: defaultHTTPTimeout}
	}
	cfg.RateWindow = cmp.Or(cfg.RateWindow, DefaultRateWindow)
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts)
	cfg.BaseBackoff = cmp.Or(cfg.BaseBackoff, DefaultBaseBackoff)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, DefaultMaxBackoff)
	cfg.Lookback = cmp.Or(cfg.Lookback, DefaultLookback)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// ClampSince returns since, or now-lookback plus a one-minute safety margin
// when since is older than that (clamped is then true): the API refuses to
// look back further than lookback. A lookback <= 0 disables clamping.
func ClampSince(since, now time.Time, lookback time.Duration) (t time.Time, clamped bool) {
	if lookback <= 0 {
		return since, false
	}
	limit := now.Add(-lookback).Add(time.Minute)
	if since.Before(limit) {
		return limit, true
	}
	return since, false
}

// FetchPage GETs {BaseURL}/api/audit/v1/events?ingestedSince=<RFC3339Nano UTC>[&cursor=...]
// and decodes the answer. On a first page (no cursor) since is clamped to
// now-Lookback (+1 minute safety margin), with a warning, when older; with a
// cursor it is sent as given.
//
// Each attempt first takes a slot from the Limiter. 5xx, 408, network errors,
// timeouts and malformed bodies are retried with jittered exponential backoff
// up to MaxAttempts, then FetchPage returns an error wrapping the last cause.
// 429s are waited out (Limiter.Throttled, or a sleep) and do not count as
// attempts. Other answers are final: 400/410 to a request with a cursor yield
// an error matching ErrCursorRejected and *APIError; other 4xx an *APIError.
// Cancelling ctx stops any wait and returns an error wrapping ctx.Err().
//
// Elements of the events array that are not usable events are returned in
// Page.Invalid, never dropped.
func (c *Client) FetchPage(ctx context.Context, since time.Time, cursor string) (*Page, error) {
	since0 := since
	// Only a new query is clamped: a cursor belongs to the ingestedSince it
	// was issued for, and sending another one with it is refused.
	since, clamped := ClampSince(since, c.cfg.Now(), c.cfg.Lookback)
	if clamped && cursor != "" {
		since, clamped = since0, false
	}
	if clamped {
		c.cfg.Logger.Warn().Time("ingested_since", since).Dur("lookback", c.cfg.Lookback).
			Msg("pigment: ingestedSince older than the API lookback; clamped (older events are no longer served)")
	}
	reqURL := c.endpoint + "?ingestedSince=" + url.QueryEscape(since.UTC().Format(time.RFC3339Nano))
	if cursor != "" {
		reqURL += "&cursor=" + url.QueryEscape(cursor)
	}
	var page *Page
	start := time.Now()
	err := c.do(ctx, "fetch events page", &request{
		url: reqURL, path: eventsPath, what: "events page", withCursor: cursor != "",
		decode: func(body []byte) (err error) {
			page, err = decodePage(body) // the page does not alias body
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	c.cfg.Logger.Debug().Int("events", len(page.Events)).Int("invalid", len(page.Invalid)).
		Bool("last_page", page.NextCursor == "").Dur("duration", time.Since(start)).Msg("pigment: fetched events page")
	return page, nil
}

// do makes request r until its answer is final: each attempt first takes a
// slot from the Limiter; 429s are waited out and do not count as attempts;
// retryable failures are retried with jittered exponential backoff up to
// MaxAttempts. Errors start with op.
func (c *Client) do(ctx context.Context, op string, r *request) error {
	var lastErr error
	for attempt, throttles := 1, 0; ; {
		if err := c.wait(ctx); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		err := c.attempt(ctx, r)
		var thr *throttledError
		var retry *retryableError
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w", op, ctx.Err())
		case errors.As(err, &thr):
			throttles++
			if err := c.throttled(ctx, thr.retryAfter, throttles); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			continue
		case !errors.As(err, &retry):
			return fmt.Errorf("%s: %w", op, err)
		}
		lastErr = retry.err
		if attempt >= c.cfg.MaxAttempts {
			return fmt.Errorf("%s: giving up after %d attempts: %w", op, attempt, lastErr)
		}
		d := retryWait(c.cfg.BaseBackoff, c.cfg.MaxBackoff, attempt)
		c.cfg.Logger.Warn().Err(lastErr).Int("attempt", attempt).Int("max_attempts", c.cfg.MaxAttempts).
			Dur("backoff", d).Msg("pigment: " + r.what + " attempt failed; retrying")
		if err := backoff.Sleep(ctx, d); err != nil {
			return fmt.Errorf("%s: %w (last attempt: %w)", op, err, lastErr)
		}
		attempt++
		throttles = 0
	}
}

func (c *Client) wait(ctx context.Context) error {
	if c.cfg.Limiter == nil {
		return ctx.Err()
	}
	if err := c.cfg.Limiter.Wait(ctx); err != nil {
		return fmt.Errorf("wait for rate limiter: %w", err)
	}
	return nil
}

// throttled waits after a 429: the Limiter decides, or without one the client
// sleeps Retry-After, else RateWindow.
func (c *Client) throttled(ctx context.Context, retryAfter time.Duration, n int) error {
	ev := c.cfg.Logger.Warn().Int("consecutive_429", n).Dur("retry_after", retryAfter)
	if c.cfg.Limiter != nil {
		ev.Msg("pigment: rate limited (429); waiting for the shared limiter to reopen")
		if err := c.cfg.Limiter.Throttled(ctx, retryAfter); err != nil {
			return fmt.Errorf("wait after 429: %w", err)
		}
		return nil
	}
	d := retryAfter
	if d == 0 {
		d = c.cfg.RateWindow
	}
	ev.Dur("wait", d).Msg("pigment: rate limited (429); waiting")
	if err := backoff.Sleep(ctx, d); err != nil {
		return fmt.Errorf("wait after 429: %w", err)
	}
	return nil
}
