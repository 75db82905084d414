package pigment

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

const testKey = "sk-audit-SECRET-0123456789"

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeLimiter is a Limiter with function fields; nil fields do nothing.
type fakeLimiter struct {
	wait      func(ctx context.Context) error
	throttled func(ctx context.Context, retryAfter time.Duration) error
}

func (l *fakeLimiter) Wait(ctx context.Context) error {
	if l.wait == nil {
		return nil
	}
	return l.wait(ctx)
}

func (l *fakeLimiter) Throttled(ctx context.Context, retryAfter time.Duration) error {
	if l.throttled == nil {
		return nil
	}
	return l.throttled(ctx, retryAfter)
}

var _ Limiter = (*fakeLimiter)(nil)

// recorder collects what a test client observed and logged.
type recorder struct {
	logs     testkit.SyncBuffer
	statuses testkit.SyncBuffer // " 503 200": a space before each observed status
}

func (r *recorder) observe(status int) { fmt.Fprintf(&r.statuses, " %d", status) }

// observed returns the statuses observed, space-separated ("503 200").
func (r *recorder) observed() string { return strings.TrimPrefix(r.statuses.String(), " ") }

// mustClient returns a client of srv with tiny backoffs, a fixed clock, debug
// logs and observations going to the returned recorder.
func mustClient(tb testing.TB, srv *httptest.Server, mutate func(*Config)) (*Client, *recorder) {
	tb.Helper()
	rec := &recorder{}
	cfg := Config{
		BaseURL:     srv.URL,
		APIKey:      testKey,
		HTTPClient:  srv.Client(),
		MaxAttempts: 4,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  2 * time.Millisecond,
		RateWindow:  10 * time.Millisecond,
		Logger:      zerolog.New(&rec.logs).Level(zerolog.DebugLevel),
		Observe:     rec.observe,
		Now:         func() time.Time { return testNow },
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if logs := rec.logs.String(); strings.Contains(logs, testKey) || strings.Contains(logs, testMetadataKey) {
			tb.Errorf("logs contain an API key:\n%s", logs)
		}
	})
	return c, rec
}

// mustFetch fetches one page from a server that answers body.
func mustFetch(t *testing.T, body string) *Page {
	t.Helper()
	srv, _ := script(t, okPage(body))
	c, _ := mustClient(t, srv, nil)
	p, err := c.FetchPage(t.Context(), testNow.Add(-time.Hour), "")
	if err != nil {
		t.Fatalf("FetchPage: %v", err)
	}
	return p
}

// script serves its answers in turn, repeating the last one.
func script(tb testing.TB, answers ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	tb.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		answers[min(i, len(answers)-1)](w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func okPage(body string) http.HandlerFunc { return answer(http.StatusOK, body) }

func throttle(retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}
}

// truncated declares the full length of body but sends only half of it.
func truncated(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body[:len(body)/2]))
	}
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

const onePage = `{"events":[` + evTargetMetadata + `],"nextEventsCursor":"c-2"}`
