package pigment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// retryableError marks an attempt's failure as worth another attempt.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// throttledError is a 429 answer; retryAfter is 0 without a usable Retry-After.
type throttledError struct{ retryAfter time.Duration }

func (e *throttledError) Error() string {
	return fmt.Sprintf("pigment API answered 429 Too Many Requests (retry after %s)", e.retryAfter)
}

const (
	maxErrorBody    = 4 << 10          // bytes of an error answer read for its message
	maxDrain        = 64 << 10         // bytes drained so the connection can be reused
	maxPooledBuffer = 16 << 20         // larger read buffers are not kept
	maxRetryAfter   = time.Hour        // a longer Retry-After is capped
	minRetryAfter   = time.Millisecond // "Retry-After: 0" (0 itself means "no Retry-After")
	userAgentHeader = userAgent + "/1" // sent on every request
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// request is one GET the client makes, with what to do with its answer.
type request struct {
	url        string // the whole URL, query escaped
	path       string // the endpoint's path, for errors (the URL may carry a cursor)
	what       string // what the answer is, for errors: "events page"
	withCursor bool   // a 400 or 410 means the cursor was rejected
	// decode reads a 2xx body, which it must not keep; its errors are
	// retried (a truncated or garbled body).
	decode func(body []byte) error
}

// attempt performs one request. Its error is a *throttledError (429), a
// *retryableError, or final.
func (c *Client) attempt(ctx context.Context, r *request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgentHeader)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		c.observe(0)
		return &retryableError{fmt.Errorf("GET %s: %w", r.path, stripURL(err))}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		_ = resp.Body.Close()
	}()

	switch status := resp.StatusCode; {
	case status >= 200 && status < 300:
		if err := c.readBody(resp, r); err != nil {
			c.observe(0)
			return &retryableError{err}
		}
		c.observe(status)
		return nil
	case status == http.StatusTooManyRequests:
		c.observe(status)
		return &throttledError{parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
	case status >= 500 || status == http.StatusRequestTimeout:
		c.observe(status)
		return &retryableError{c.apiError(status, resp.Body)}
	default:
		c.observe(status)
		apiErr := c.apiError(status, resp.Body)
		if r.withCursor && (status == http.StatusBadRequest || status == http.StatusGone) {
			return fmt.Errorf("%w: %w", ErrCursorRejected, apiErr)
		}
		return apiErr
	}
}

// apiError reads the start of an error answer into an *APIError naming the
// client's key variable.
func (c *Client) apiError(status int, body io.Reader) *APIError {
	e := newAPIError(status, readPrefix(body), c.cfg.APIKey)
	e.key = c.key
	return e
}

// readBody reads a 2xx body and decodes it. Its errors are all worth a
// retry: truncated, oversized or malformed bodies.
func (c *Client) readBody(resp *http.Response, r *request) error {
	limit := c.cfg.MaxBodyBytes
	if resp.ContentLength > limit {
		return fmt.Errorf("%w: body of %d bytes exceeds MaxBodyBytes (%d)", errMalformed, resp.ContentLength, limit)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return fmt.Errorf("read %s after %d bytes: %w", r.what, n, stripURL(err))
	case n > limit:
		return fmt.Errorf("%w: body exceeds MaxBodyBytes (%d)", errMalformed, limit)
	}
	return r.decode(buf.Bytes())
}

func (c *Client) observe(status int) {
	if c.cfg.Observe != nil {
		c.cfg.Observe(status)
	}
}

// readPrefix reads the start of an error answer for its message.
func readPrefix(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}

// stripURL drops the *url.Error wrapper (its text repeats the whole request
// URL, cursor included) and keeps the cause. The key is never in the URL.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseRetryAfter reads a Retry-After header: delay-seconds (decimals are
// accepted) or an HTTP date. It returns 0 when the header is absent or
// unusable, at least minRetryAfter when present, and at most maxRetryAfter.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		if math.IsNaN(secs) || secs < 0 {
			return 0
		}
		d = time.Duration(math.Min(secs, maxRetryAfter.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	} else {
		return 0
	}
	return min(max(d, minRetryAfter), maxRetryAfter)
}

// retryWait returns the wait before attempt n+1 after n failed attempts: full
// jitter, uniform in [0, min(maxD, base*2^(n-1))].
func retryWait(base, maxD time.Duration, n int) time.Duration {
	ceiling := maxD
	if n-1 < 62 && base <= maxD>>(n-1) {
		ceiling = base << (n - 1)
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}
