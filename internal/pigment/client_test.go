package pigment

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchPageRequest(t *testing.T) {
	tests := []struct {
		name, base, cursor string
		since              time.Time
		wantPath, wantQ    string
	}{
		{"first page", "", "", time.Date(2025, 5, 1, 0, 0, 0, 5, time.FixedZone("X", 3600)),
			"/api/audit/v1/events", "ingestedSince=2025-04-30T23%3A00%3A00.000000005Z"},
		{"with cursor", "/", "a b/c+d=", time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
			"/api/audit/v1/events", "ingestedSince=2025-05-01T00%3A00%3A00Z&cursor=a+b%2Fc%2Bd%3D"},
		{"base path", "/proxy/", "c", time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC),
			"/proxy/api/audit/v1/events", "ingestedSince=2025-05-01T00%3A00%3A00Z&cursor=c"},
		{"clamped", "", "", time.Time{},
			"/api/audit/v1/events", "ingestedSince=2024-12-03T12%3A01%3A00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				okPage(onePage)(w, r)
			})
			c, _ := mustClient(t, srv, func(c *Config) { c.BaseURL = srv.URL + tt.base })
			if _, err := c.FetchPage(t.Context(), tt.since, tt.cursor); err != nil {
				t.Fatalf("FetchPage: %v", err)
			}
			if got.Method != http.MethodGet || got.URL.Path != tt.wantPath || got.URL.RawQuery != tt.wantQ {
				t.Errorf("request = %s %s?%s, want GET %s?%s", got.Method, got.URL.Path, got.URL.RawQuery, tt.wantPath, tt.wantQ)
			}
			if a := got.Header.Get("Authorization"); a != "Bearer "+testKey {
				t.Errorf("Authorization = %q, want the bearer key", a)
			}
		})
	}
}

func TestFetchPageShapes(t *testing.T) {
	tests := []struct {
		name, body string
		wantRaw    []string
		wantCursor string
	}{
		{"pagination.nextCursor, target/metadata", `{"events":[` + evTargetMetadata + `],"pagination":{"nextCursor":"p2"}}`,
			[]string{evTargetMetadata}, "p2"},
		{"nextEventsCursor, context/payload", `{"events":[` + evContextPayload + `],"nextEventsCursor":"n2"}`,
			[]string{evContextPayload}, "n2"},
		{"last page", `{"events":[` + evStringActor + `],"nextEventsCursor":null}`, []string{evStringActor}, ""},
		{"newest first as sent", `{"events":[` + evTargetMetadata + `,` + evContextPayload + `]}`,
			[]string{evTargetMetadata, evContextPayload}, ""},
		{"oldest first as sent", `{"events":[` + evContextPayload + `,` + evTargetMetadata + `]}`,
			[]string{evContextPayload, evTargetMetadata}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustFetch(t, tt.body)
			var gotRaw []string
			for _, e := range p.Events {
				gotRaw = append(gotRaw, string(e.Raw))
			}
			if strings.Join(gotRaw, "\n") != strings.Join(tt.wantRaw, "\n") || p.NextCursor != tt.wantCursor {
				t.Errorf("FetchPage = %q, cursor %q; want %q, cursor %q", gotRaw, p.NextCursor, tt.wantRaw, tt.wantCursor)
			}
		})
	}
}

func TestFetchPageInvalidElements(t *testing.T) {
	body := `{"events":[` + evTargetMetadata + `,"junk",{"eventType":"X","ingestionTimestamp":"2024-01-01T00:00:00Z"},{"eventId":"z","ingestionTimestamp":"xyz"}]}`
	p := mustFetch(t, body)
	var got []string
	for _, in := range p.Invalid {
		got = append(got, in.Reason)
	}
	want := []string{"not a JSON object (string)", "missing eventId", `unparsable ingestionTimestamp "xyz"`}
	if len(p.Events) != 1 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("FetchPage = %d events, invalid %q; want 1 event, invalid %q", len(p.Events), got, want)
	}
}

func TestFetchPageRetries(t *testing.T) {
	big := `{"events":[` + strings.Repeat(evTargetMetadata+",", 10) + evTargetMetadata + `]}`
	tests := []struct {
		name         string
		answers      []http.HandlerFunc
		wantErr      string // "" for success
		wantRequests int32
		wantObserved string
	}{
		{"503 then ok", []http.HandlerFunc{answer(503, "busy"), okPage(onePage)}, "", 2, "503 200"},
		{"502 html then ok", []http.HandlerFunc{answer(502, "<html>bad gateway</html>"), okPage(onePage)}, "", 2, "502 200"},
		{"408 then ok", []http.HandlerFunc{answer(408, ""), okPage(onePage)}, "", 2, "408 200"},
		{"truncated then ok", []http.HandlerFunc{truncated(onePage), okPage(onePage)}, "", 2, "0 200"},
		{"invalid JSON then ok", []http.HandlerFunc{okPage(`{"events":[{]}`), okPage(onePage)}, "", 2, "0 200"},
		{"no events then ok", []http.HandlerFunc{okPage(`{"error":"x"}`), okPage(onePage)}, "", 2, "0 200"},
		{"events not an array then ok", []http.HandlerFunc{okPage(`{"events":{}}`), okPage(onePage)}, "", 2, "0 200"},
		{"hang-up then ok", []http.HandlerFunc{hangUp, okPage(onePage)}, "", 2, "0 200"},
		{"body over limit then ok", []http.HandlerFunc{okPage(big), okPage(onePage)}, "", 2, "0 200"},
		{"always 500", []http.HandlerFunc{answer(500, `{"message":"internal"}`)},
			"fetch events page: giving up after 4 attempts: pigment API answered 500 Internal Server Error: internal", 4, "500 500 500 500"},
		{"always truncated", []http.HandlerFunc{truncated(onePage)},
			"fetch events page: giving up after 4 attempts: read events page after", 4, "0 0 0 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := script(t, tt.answers...)
			c, rec := mustClient(t, srv, func(c *Config) { c.MaxBodyBytes = int64(len(big) - 1) })
			p, err := c.FetchPage(t.Context(), testNow.Add(-time.Hour), "")
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if !strings.HasPrefix(gotErr, tt.wantErr) || (tt.wantErr == "" && (p == nil || len(p.Events) != 1)) {
				t.Errorf("FetchPage = %v, %q; want error %q", p, gotErr, tt.wantErr)
			}
			if n.Load() != tt.wantRequests || rec.observed() != tt.wantObserved {
				t.Errorf("requests = %d, observed [%s]; want %d, [%s]", n.Load(), rec.observed(), tt.wantRequests, tt.wantObserved)
			}
		})
	}
}

func TestFetchPageThrottled(t *testing.T) {
	tests := []struct {
		name        string
		answers     []http.HandlerFunc
		withLimiter bool
		wantWaits   int32           // Limiter.Wait calls
		wantThrottl []time.Duration // Limiter.Throttled arguments
		minElapsed  time.Duration
	}{
		{"limiter, no Retry-After", []http.HandlerFunc{throttle(""), okPage(onePage)}, true, 2, []time.Duration{0}, 0},
		{"limiter, Retry-After seconds", []http.HandlerFunc{throttle("2"), okPage(onePage)}, true, 2, []time.Duration{2 * time.Second}, 0},
		{"limiter, Retry-After date", []http.HandlerFunc{throttle(testNow.Add(90 * time.Second).Format(http.TimeFormat)), okPage(onePage)},
			true, 2, []time.Duration{90 * time.Second}, 0},
		{"limiter, storm longer than MaxAttempts", []http.HandlerFunc{throttle(""), throttle(""), throttle(""), throttle(""), throttle(""), throttle(""), okPage(onePage)},
			true, 7, []time.Duration{0, 0, 0, 0, 0, 0}, 0},
		{"no limiter, Retry-After honoured", []http.HandlerFunc{throttle("0.05"), okPage(onePage)}, false, 0, nil, 50 * time.Millisecond},
		{"no limiter, RateWindow", []http.HandlerFunc{throttle(""), throttle(""), okPage(onePage)}, false, 0, nil, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := script(t, tt.answers...)
			var waits atomic.Int32
			var throttled []time.Duration
			lim := &fakeLimiter{
				wait: func(context.Context) error { waits.Add(1); return nil },
				throttled: func(_ context.Context, d time.Duration) error {
					throttled = append(throttled, d)
					return nil
				},
			}
			c, rec := mustClient(t, srv, func(c *Config) {
				if tt.withLimiter {
					c.Limiter = lim
				}
			})
			start := time.Now()
			if _, err := c.FetchPage(t.Context(), testNow.Add(-time.Hour), ""); err != nil {
				t.Fatalf("FetchPage: %v", err)
			}
			if el := time.Since(start); el < tt.minElapsed {
				t.Errorf("FetchPage returned after %v, want at least %v", el, tt.minElapsed)
			}
			if waits.Load() != tt.wantWaits || fmtDurations(throttled) != fmtDurations(tt.wantThrottl) {
				t.Errorf("Wait calls = %d, Throttled(%v); want %d, Throttled(%v)", waits.Load(), throttled, tt.wantWaits, tt.wantThrottl)
			}
			if !strings.Contains(rec.logs.String(), `"level":"warn"`) || !strings.Contains(rec.logs.String(), "429") {
				t.Errorf("no 429 warning logged:\n%s", rec.logs.String())
			}
		})
	}
}

func fmtDurations(ds []time.Duration) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + " ")
	}
	return b.String()
}
