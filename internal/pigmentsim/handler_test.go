package pigmentsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func sinceParam(t time.Time) url.Values {
	return url.Values{"ingestedSince": {t.Format(time.RFC3339)}}
}

func TestUnauthorized(t *testing.T) {
	s, srv, _ := mustSim(t, Config{Seed: 1, RateLimit: 1})
	tests := []struct{ name, header string }{
		{"missing", ""},
		{"wrong key", "Bearer nope"},
		{"basic scheme", "Basic " + testKey},
		{"bare key", testKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/audit/v1/events?ingestedSince=2025-03-01", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || string(body) != `{"error":"unauthorized"}` {
				t.Errorf("GET with %q = %d %s, want 401 {\"error\":\"unauthorized\"}", tt.header, resp.StatusCode, body)
			}
		})
	}
	// Authentication comes first: unauthorized requests use no budget.
	if status, body, _ := get(t, srv, "/api/v1/applications", nil); status != http.StatusOK {
		t.Errorf("authorized request after 401s = %d %s, want 200", status, body)
	}
	if got := s.Stats().Unauthorized; got != 4 {
		t.Errorf("Stats().Unauthorized = %d, want 4", got)
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter bool
		wantHeader string
	}{
		{"no Retry-After like the real API", false, ""},
		{"Retry-After on request", true, "40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, clk := mustSim(t, Config{Seed: 1, RateLimit: 3, RateWindow: time.Minute, RetryAfter: tt.retryAfter})
			clk.Add(20 * time.Second) // t0 is on a window boundary
			for i, path := range []string{"/api/v1/applications", "/api/audit/v1/events", "/api/v1/blocks"} {
				if status, _, _ := get(t, srv, path, url.Values{"ingestedSince": {"2025-03-10"}, "applicationId": {s.ws.apps[0].id}}); status != http.StatusOK {
					t.Fatalf("request %d = %d, want 200", i+1, status)
				}
			}
			status, body, h := get(t, srv, "/api/v1/applications", nil)
			if status != http.StatusTooManyRequests || string(body) != `{"error":"rate limit exceeded"}` {
				t.Errorf("4th request = %d %s, want 429", status, body)
			}
			if got := h.Get("Retry-After"); got != tt.wantHeader {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantHeader)
			}
			clk.Add(39 * time.Second)
			if status, _, _ := get(t, srv, "/api/v1/applications", nil); status != http.StatusTooManyRequests {
				t.Errorf("request before the window resets = %d, want 429", status)
			}
			clk.Add(time.Second)
			if status, _, _ := get(t, srv, "/api/v1/applications", nil); status != http.StatusOK {
				t.Errorf("request in the next window = %d, want 200", status)
			}
			if got := s.Stats().RateLimited; got != 2 {
				t.Errorf("Stats().RateLimited = %d, want 2", got)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	_, srv, clk := mustSim(t, Config{Seed: 1, History: time.Hour, HistoryEvents: 50, PageSize: 10, CursorTTL: time.Minute})
	since := t0.Add(-2 * time.Hour)
	valid := fetchPage(t, srv, since, "").next()
	other := fetchPage(t, srv, since.Add(time.Second), "").next()
	tests := []struct {
		name    string
		advance time.Duration
		params  url.Values
		want    string
	}{
		{"missing ingestedSince", 0, url.Values{}, `invalid ingestedSince`},
		{"garbage ingestedSince", 0, url.Values{"ingestedSince": {"yesterday"}}, `invalid ingestedSince`},
		{"beyond lookback", 0, sinceParam(t0.Add(-181 * 24 * time.Hour)), `within the last 180 days`},
		{"garbage cursor", 0, url.Values{"ingestedSince": {since.Format(time.RFC3339)}, "cursor": {"!!not-a-cursor"}}, `invalid cursor`},
		{"tampered cursor", 0, url.Values{"ingestedSince": {since.Format(time.RFC3339)}, "cursor": {valid[:len(valid)-3] + "AAA"}}, `invalid cursor`},
		{"other run's cursor", 0, url.Values{"ingestedSince": {since.Format(time.RFC3339)}, "cursor": {other}}, `invalid cursor`},
		{"expired cursor", 2 * time.Minute, url.Values{"ingestedSince": {since.Format(time.RFC3339)}, "cursor": {valid}}, `invalid cursor`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Add(tt.advance)
			status, body, _ := get(t, srv, "/api/audit/v1/events", tt.params)
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); status != http.StatusBadRequest || err != nil || !strings.Contains(e.Error, tt.want) {
				t.Errorf("GET %v = %d %s, want 400 with error containing %q", tt.params, status, body, tt.want)
			}
		})
	}
}

func TestTruncatedBodyIsInvalidJSON(t *testing.T) {
	s, srv, _ := mustSim(t, Config{Seed: 1, History: time.Hour, HistoryEvents: 100, TruncateRate: 1})
	for range 8 { // both truncation modes come up
		status, body, _ := get(t, srv, "/api/audit/v1/events", sinceParam(t0.Add(-2*time.Hour)))
		if status != http.StatusOK || json.Valid(body) || len(body) == 0 {
			t.Errorf("truncated answer = %d, %d bytes, valid JSON %v; want 200 with a cut body", status, len(body), json.Valid(body))
		}
	}
	if got := s.Stats().Truncated; got != 8 {
		t.Errorf("Stats().Truncated = %d, want 8", got)
	}
}

func TestFaultStormThenRecovery(t *testing.T) {
	s, srv, _ := mustSim(t, Config{Seed: 1, SlowDelay: 20 * time.Millisecond})
	s.SetFaults(1, 0, 0)
	for range 6 {
		if status, _, _ := get(t, srv, "/api/v1/applications", nil); status < 500 || status > 503 {
			t.Errorf("status during storm = %d, want 500, 502 or 503", status)
		}
	}
	s.SetFaults(0, 1, 0)
	start := time.Now()
	if status, _, _ := get(t, srv, "/api/v1/applications", nil); status != http.StatusOK || time.Since(start) < 20*time.Millisecond {
		t.Errorf("slow request = %d after %v, want 200 after >= 20ms", status, time.Since(start))
	}
	if st := s.Stats(); st.Faults != 6 || st.Slowed != 1 || st.Requests != 7 {
		t.Errorf("Stats() = %+v, want 6 faults, 1 slowed, 7 requests", st)
	}
}

func TestMetadataEndpoints(t *testing.T) {
	tests := []struct {
		shape, path string
		blocks      bool
		want        string // a fragment of the answer
	}{
		{ShapePublic, "/api/v1/applications", false, `[{"id":"`},
		{ShapeDescribed, "/api/v1/applications", false, `{"applications":[{"id":"`},
		{ShapePublic, "/api/v1/blocks", true, `[{"id":"`},
		{ShapeDescribed, "/api/v1/blocks", true, `"dimensions":[`},
	}
	for _, tt := range tests {
		t.Run(tt.shape+tt.path, func(t *testing.T) {
			s, srv, _ := mustSim(t, Config{Seed: 5, Shape: tt.shape})
			params := url.Values{}
			if tt.blocks {
				params.Set("applicationId", s.ws.apps[2].id)
			}
			status, body, _ := get(t, srv, tt.path, params)
			if status != http.StatusOK || !json.Valid(body) || !strings.Contains(string(body), tt.want) {
				t.Errorf("GET %s = %d %s, want 200 JSON containing %s", tt.path, status, body, tt.want)
			}
		})
	}
	_, srv, _ := mustSim(t, Config{Seed: 5})
	if status, _, _ := get(t, srv, "/api/v1/blocks", url.Values{"applicationId": {"nope"}}); status != http.StatusNotFound {
		t.Errorf("blocks of an unknown application = %d, want 404", status)
	}
	if status, _, _ := get(t, srv, "/api/v1/blocks", nil); status != http.StatusBadRequest {
		t.Errorf("blocks without applicationId = %d, want 400", status)
	}
}
