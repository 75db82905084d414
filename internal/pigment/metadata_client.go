package pigment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rs/zerolog"
)

// MetadataConfig configures a MetadataClient. Zero values take the
// defaults of Config.
type MetadataConfig struct {
	BaseURL string // e.g. "https://pigment.app"; the client appends /api/v1/...
	// APIKey is the Metadata API key (PIGMENT_METADATA_API_KEY), a separate
	// key type from the audit key. It is sent as Authorization: Bearer and
	// never appears in logs or error strings.
	APIKey     string
	HTTPClient *http.Client // nil: a client with sane timeouts
	// Limiter is the request budget the client draws from: the one shared
	// with extract (the 500 requests / 5 minutes are per IP, for every
	// public endpoint), at a priority below the live extractor's reserve.
	// nil: unlimited, and on 429 the client sleeps Retry-After or RateWindow.
	Limiter      Limiter
	RateWindow   time.Duration
	MaxBodyBytes int64
	MaxAttempts  int
	BaseBackoff  time.Duration
	MaxBackoff   time.Duration
	Logger       zerolog.Logger
	Observe      func(status int) // optional: every HTTP answer's status; 0 for a network error / malformed body
	Now          func() time.Time
}

// Metadata API paths.
const (
	applicationsPath = "/api/v1/applications"
	blocksPath       = "/api/v1/blocks"
	importsPath      = "/api/v1/importConfigurations"
	viewsPath        = "/api/v1/views"
)

// MetadataClient lists the workspace's structure through Pigment's Metadata
// API. It shares the audit client's request handling: every attempt takes
// a slot from the Limiter; 5xx, 408, network errors and malformed bodies
// are retried with backoff up to MaxAttempts; 429s are waited out; other
// 4xx are final *APIError values (401 and 403 name
// PIGMENT_METADATA_API_KEY). It reads both documented shapes (a plain
// array, or an object wrapping it) and nothing else: an answer of another
// shape (a proxy's HTML page, a truncated body, a field of the wrong type)
// is an error, never an empty list. It is safe for concurrent use.
type MetadataClient struct {
	c *Client
}

// NewMetadata validates cfg (as New does) and returns a MetadataClient.
func NewMetadata(cfg MetadataConfig) (*MetadataClient, error) {
	c, err := New(Config{
		BaseURL: cfg.BaseURL, APIKey: cfg.APIKey, HTTPClient: cfg.HTTPClient, Limiter: cfg.Limiter,
		RateWindow: cfg.RateWindow, MaxBodyBytes: cfg.MaxBodyBytes, MaxAttempts: cfg.MaxAttempts,
		BaseBackoff: cfg.BaseBackoff, MaxBackoff: cfg.MaxBackoff, Logger: cfg.Logger,
		Observe: cfg.Observe, Now: cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	c.key = metadataKey
	return &MetadataClient{c: c}, nil
}

// Applications lists the workspace's applications (GET /api/v1/applications).
func (m *MetadataClient) Applications(ctx context.Context) ([]Application, error) {
	return list(ctx, m.c, "list applications", applicationsPath, nil, applicationSpec)
}

// Blocks lists an application's blocks (GET /api/v1/blocks?applicationId=).
// A block's HasDimensions says whether the answer carried its dimensions.
func (m *MetadataClient) Blocks(ctx context.Context, applicationID string) ([]Block, error) {
	if applicationID == "" {
		return nil, errors.New("list blocks: empty application ID")
	}
	return list(ctx, m.c, fmt.Sprintf("list blocks of application %q", applicationID), blocksPath,
		url.Values{"applicationId": {applicationID}}, blockSpec)
}

// ImportConfigurations lists a block's import configurations
// (GET /api/v1/importConfigurations?applicationId=&blockId=).
func (m *MetadataClient) ImportConfigurations(ctx context.Context, applicationID, blockID string) ([]ImportConfiguration, error) {
	return blockList(ctx, m.c, "import configurations", importsPath, applicationID, blockID, importSpec)
}

// Views lists a block's views (GET /api/v1/views?applicationId=&blockId=).
func (m *MetadataClient) Views(ctx context.Context, applicationID, blockID string) ([]View, error) {
	return blockList(ctx, m.c, "views", viewsPath, applicationID, blockID, viewSpec)
}

// blockList lists what of a block path serves.
func blockList[T any](ctx context.Context, c *Client, what, path, applicationID, blockID string, spec listSpec[T]) ([]T, error) {
	op := fmt.Sprintf("list %s of block %q in application %q", what, blockID, applicationID)
	if applicationID == "" || blockID == "" {
		return nil, fmt.Errorf("%s: empty application or block ID", op)
	}
	return list(ctx, c, op, path, url.Values{"applicationId": {applicationID}, "blockId": {blockID}}, spec)
}

// list GETs path with query (escaped) and reads the answer as a list of T,
// plain or wrapped in an object's member wrapper.
func list[T any](ctx context.Context, c *Client, op, path string, query url.Values, spec listSpec[T]) ([]T, error) {
	reqURL := c.base + path
	if len(query) > 0 {
		reqURL += "?" + query.Encode()
	}
	var out []T
	start := time.Now()
	err := c.do(ctx, op, &request{
		url: reqURL, path: path, what: spec.wrapper + " answer",
		decode: func(body []byte) (err error) {
			out, err = decodeList(body, spec)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	c.cfg.Logger.Debug().Str("path", path).Int(spec.wrapper, len(out)).Dur("duration", time.Since(start)).
		Msg("pigment: fetched metadata")
	return out, nil
}
