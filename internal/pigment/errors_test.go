package pigment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFetchPagePermanent(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		body           string
		cursor         string
		wantRejected   bool
		wantErrContain string
	}{
		{"401", 401, `{"message":"invalid token ` + testKey + `"}`, "", false,
			"pigment API answered 401 Unauthorized: check PIGMENT_AUDIT_API_KEY"},
		{"403", 403, "forbidden for Bearer " + testKey, "c", false,
			"pigment API answered 403 Forbidden: check PIGMENT_AUDIT_API_KEY"},
		{"404", 404, `{"error":"no such route"}`, "", false, "pigment API answered 404 Not Found: no such route"},
		{"400 without cursor", 400, `{"detail":"bad ingestedSince"}`, "", false, "400 Bad Request: bad ingestedSince"},
		{"400 with cursor", 400, `{"message":"invalid cursor"}`, "c-1", true, "pigment: cursor rejected: pigment API answered 400 Bad Request: invalid cursor"},
		{"410 with cursor", 410, ``, "c-1", true, "pigment: cursor rejected: pigment API answered 410 Gone"},
		{"long message", 422, strings.Repeat("é", 500), "", false, strings.Repeat("é", 197) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := script(t, answer(tt.status, tt.body))
			c, rec := mustClient(t, srv, nil)
			_, err := c.FetchPage(t.Context(), testNow.Add(-time.Hour), tt.cursor)
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("FetchPage error = %v, want an *APIError with status %d", err, tt.status)
			}
			if got := errors.Is(err, ErrCursorRejected); got != tt.wantRejected {
				t.Errorf("errors.Is(%v, ErrCursorRejected) = %v, want %v", err, got, tt.wantRejected)
			}
			if !strings.Contains(err.Error(), tt.wantErrContain) || strings.Contains(err.Error(), testKey) {
				t.Errorf("error = %q, want it to contain %q and not the key", err, tt.wantErrContain)
			}
			if len([]rune(apiErr.Message)) > maxMessageLen {
				t.Errorf("Message has %d runes, want at most %d", len([]rune(apiErr.Message)), maxMessageLen)
			}
			if n.Load() != 1 || rec.observed() != fmt.Sprint(tt.status) {
				t.Errorf("requests = %d, observed [%s]; want 1, [%d]", n.Load(), rec.observed(), tt.status)
			}
		})
	}
}

func TestFetchPageCancel(t *testing.T) {
	tests := []struct {
		name   string
		answer http.HandlerFunc
		mutate func(*Config)
	}{
		{"during backoff", answer(500, ""), func(c *Config) { c.BaseBackoff, c.MaxBackoff = time.Hour, time.Hour }},
		{"during 429 wait", throttle(""), func(c *Config) { c.RateWindow = time.Hour }},
		{"in Limiter.Wait", okPage(onePage), func(c *Config) {
			c.Limiter = &fakeLimiter{wait: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
		}},
		{"during request", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := script(t, tt.answer)
			c, _ := mustClient(t, srv, tt.mutate)
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.FetchPage(ctx, testNow.Add(-time.Hour), "")
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
				t.Errorf("FetchPage = %v after %v, want context.DeadlineExceeded soon after 50ms", err, time.Since(start))
			}
		})
	}
}

func TestFetchPageLimiterError(t *testing.T) {
	srv, n := script(t, throttle(""))
	boom := errors.New("budget store down")
	c, _ := mustClient(t, srv, func(c *Config) {
		c.Limiter = &fakeLimiter{throttled: func(context.Context, time.Duration) error { return boom }}
	})
	_, err := c.FetchPage(t.Context(), testNow.Add(-time.Hour), "")
	if !errors.Is(err, boom) || n.Load() != 1 {
		t.Errorf("FetchPage = %v after %d requests, want %v after 1", err, n.Load(), boom)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"ok", Config{BaseURL: "https://pigment.app", APIKey: "k"}, ""},
		{"ok local", Config{BaseURL: "http://127.0.0.1:8080/", APIKey: "k"}, ""},
		{"empty BaseURL", Config{APIKey: "k"}, "BaseURL is empty"},
		{"relative BaseURL", Config{BaseURL: "pigment.app", APIKey: "k"}, "BaseURL"},
		{"ftp BaseURL", Config{BaseURL: "ftp://pigment.app", APIKey: "k"}, "BaseURL"},
		{"no host", Config{BaseURL: "https:///x", APIKey: "k"}, "BaseURL"},
		{"bad URL", Config{BaseURL: "http://[::1", APIKey: "k"}, "BaseURL"},
		{"credentials", Config{BaseURL: "https://u:p@pigment.app", APIKey: "k"}, "BaseURL must not contain credentials"},
		{"query", Config{BaseURL: "https://pigment.app?x=1", APIKey: "k"}, "BaseURL"},
		{"empty APIKey", Config{BaseURL: "https://pigment.app"}, "APIKey is empty"},
		{"blank APIKey", Config{BaseURL: "https://pigment.app", APIKey: " "}, "APIKey is empty"},
		{"negative", Config{BaseURL: "https://pigment.app", APIKey: "k", MaxAttempts: -1}, "MaxAttempts"},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if (tt.wantErr == "") != (err == nil) || !strings.Contains(gotErr, tt.wantErr) || (err == nil) == (c == nil) {
			t.Errorf("New(%s) = %v, %q; want error containing %q", tt.name, c, gotErr, tt.wantErr)
		}
	}
	c, _ := New(Config{BaseURL: "https://pigment.app", APIKey: "k"})
	if c.cfg.MaxAttempts != 8 || c.cfg.BaseBackoff != 500*time.Millisecond || c.cfg.MaxBackoff != 30*time.Second ||
		c.cfg.RateWindow != 5*time.Minute || c.cfg.MaxBodyBytes != 64<<20 || c.cfg.Lookback != 180*24*time.Hour ||
		c.cfg.HTTPClient == nil || c.cfg.HTTPClient.Timeout != 30*time.Second || c.endpoint != "https://pigment.app/api/audit/v1/events" {
		t.Errorf("New defaults = %+v, endpoint %s", c.cfg, c.endpoint)
	}
}

func TestClampSince(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	limit := now.Add(-180*24*time.Hour + time.Minute)
	tests := []struct {
		name        string
		since       time.Time
		lookback    time.Duration
		want        time.Time
		wantClamped bool
	}{
		{"recent", now.Add(-time.Hour), 180 * 24 * time.Hour, now.Add(-time.Hour), false},
		{"zero", time.Time{}, 180 * 24 * time.Hour, limit, true},
		{"just older than limit", limit.Add(-time.Nanosecond), 180 * 24 * time.Hour, limit, true},
		{"at limit", limit, 180 * 24 * time.Hour, limit, false},
		{"exactly lookback ago", now.Add(-180 * 24 * time.Hour), 180 * 24 * time.Hour, limit, true},
		{"future", now.Add(time.Hour), 180 * 24 * time.Hour, now.Add(time.Hour), false},
		{"no lookback", time.Time{}, 0, time.Time{}, false},
	}
	for _, tt := range tests {
		got, clamped := ClampSince(tt.since, now, tt.lookback)
		if !got.Equal(tt.want) || clamped != tt.wantClamped {
			t.Errorf("ClampSince(%s) = %v, %v; want %v, %v", tt.name, got, clamped, tt.want, tt.wantClamped)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"garbage", 0},
		{"-3", 0},
		{"NaN", 0},
		{"0", minRetryAfter},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0.25", 250 * time.Millisecond},
		{"99999999", maxRetryAfter},
		{"+Inf", maxRetryAfter},
		{testNow.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{testNow.Add(-time.Hour).Format(http.TimeFormat), minRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, testNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n       int
		ceiling time.Duration
	}{
		{1, 500 * time.Millisecond}, {2, time.Second}, {4, 4 * time.Second}, {7, 30 * time.Second}, {200, 30 * time.Second},
	}
	for _, tt := range tests {
		for range 100 {
			if got := retryWait(500*time.Millisecond, 30*time.Second, tt.n); got < 0 || got > tt.ceiling {
				t.Fatalf("backoff(n=%d) = %v, want within [0, %v]", tt.n, got, tt.ceiling)
			}
		}
	}
}

func BenchmarkFetchPage(b *testing.B) {
	body := pageBody(1000, "next")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.FetchPage(b.Context(), time.Now().Add(-time.Hour), "c")
		if err != nil || len(p.Events) != 1000 {
			b.Fatalf("FetchPage: %v", err)
		}
	}
}
