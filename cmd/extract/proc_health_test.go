package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestHealthGoesBadWhenRunsFail runs `extract run` (poll every 300ms)
// against an API that starts answering 500 after the first runs:
// /healthz turns 503 with ok:false and a reason, no sooner than three poll
// intervals after the last successful run, the watermark lag keeps growing from one
// scrape to the next, and health comes back once the API does.
func TestHealthGoesBadWhenRunsFail(t *testing.T) {
	t.Parallel()
	const poll = 300 * time.Millisecond
	s := newStack(t, pigmentsim.Config{Seed: 71, History: time.Hour, HistoryEvents: 200, LateFraction: -1})
	var failing atomic.Bool
	s.APIURL = testkit.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "upstream down", http.StatusInternalServerError)
			return
		}
		s.sim.Handler().ServeHTTP(w, r)
	}))
	p := testkit.Start(t, extractBin, s.ExtractEnv(map[string]string{
		"PIGMENT_POLL_INTERVAL": poll.String(), "PIGMENT_MAX_ATTEMPTS": "1",
		"METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info",
	}), "run")
	addr := p.MetricsAddr()
	var h testkit.Health
	if !testkit.Eventually(15*time.Second, func() bool {
		h = testkit.GetHealth(addr)
		return h.Status == http.StatusOK && h.OK && h.Details["role"] == "leader" && testkit.CountMessages(p.Stderr(), "run finished") > 0
	}) {
		t.Fatalf("/healthz = %+v, want 200 ok as leader after a finished run; stderr:\n%s", h, p.Stderr())
	}

	failing.Store(true)
	if !testkit.Eventually(20*time.Second, func() bool { h = testkit.GetHealth(addr); return h.Status == http.StatusServiceUnavailable }) {
		t.Fatalf("with every run failing, /healthz = %+v, want 503; stderr:\n%s", h, testkit.Tail(p.Stderr(), 4096))
	}
	// A run in flight when the API failed may still have finished after.
	last, err := time.Parse(time.RFC3339Nano, fmt.Sprint(h.Details["last_success"]))
	if err != nil {
		t.Errorf("/healthz last_success = %v, want the time of the last successful run", h.Details["last_success"])
	} else if since := time.Since(last); since < 3*poll {
		t.Errorf("/healthz turned 503 %v after the last successful run, want no sooner than three poll intervals (%v)", since, 3*poll)
	}
	if reason, _ := h.Details["reason"].(string); h.OK || !strings.Contains(reason, "no successful run") {
		t.Errorf("/healthz = %+v, want ok:false and a reason naming the missing successful run", h)
	}
	const lag = `pigment_extract_watermark_lag_seconds{checkpoint="live"}`
	first, ok1 := testkit.Gauge(addr, lag)
	time.Sleep(1100 * time.Millisecond)
	second, ok2 := testkit.Gauge(addr, lag)
	if !ok1 || !ok2 || second <= first {
		t.Errorf("lag scraped 1.1s apart while runs fail = %v (%v), %v (%v): want it present and growing", first, ok1, second, ok2)
	}

	failing.Store(false)
	if !testkit.Eventually(20*time.Second, func() bool { h = testkit.GetHealth(addr); return h.Status == http.StatusOK && h.OK }) {
		t.Fatalf("after the API recovered, /healthz = %+v, want 200 ok", h)
	}
}

// TestHealthGoesBadOnACursorCycle runs `extract run` against an API whose
// cursors go round A -> B -> A. Every poll resumes at the committed cursor,
// commits one page of duplicates and fails with the cursor cycle: that is
// not progress (no run finishes, no event is produced, the high-water mark
// stands still), so /healthz turns 503 after three poll intervals. Each
// committed page used to count as progress: 200 for ever, the watermark
// frozen.
func TestHealthGoesBadOnACursorCycle(t *testing.T) {
	t.Parallel()
	const poll = 300 * time.Millisecond
	s, api := newPagesStack(t)
	api.Cursor = func(n int) string { // page 1 is "A", page 2 "B", page 3 "A" again
		if n%2 == 1 {
			return "A"
		}
		return "B"
	}
	now := time.Now().UTC()
	for i := range 8 {
		api.Add(t, fmt.Sprintf("ev-%d", i), now.Add(-time.Duration(i)*time.Minute).Format(time.RFC3339Nano), "")
	}
	p := testkit.Start(t, extractBin, s.ExtractEnv(map[string]string{
		"PIGMENT_POLL_INTERVAL": poll.String(), "METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "info",
	}), "run")
	addr := p.MetricsAddr()
	var h testkit.Health
	if !testkit.Eventually(20*time.Second, func() bool { h = testkit.GetHealth(addr); return h.Status == http.StatusServiceUnavailable }) {
		t.Fatalf("with every run failing on a cursor cycle, /healthz = %+v, want 503; stderr:\n%s", h, testkit.Tail(p.Stderr(), 4096))
	}
	if n := strings.Count(p.Stderr(), "cursor cycle"); n < 3 {
		t.Errorf("%d log lines name the cursor cycle, want one per failed poll (at least 3); stderr:\n%s", n, testkit.Tail(p.Stderr(), 4096))
	}
	if testkit.CountMessages(p.Stderr(), "run finished") != 0 {
		t.Errorf("a run finished on a cycling API; stderr:\n%s", testkit.Tail(p.Stderr(), 4096))
	}
	if reason, _ := h.Details["reason"].(string); h.OK || !strings.Contains(reason, "no successful run") {
		t.Errorf("/healthz = %+v, want ok:false and a reason naming the missing progress", h)
	}
	if last, _ := h.Details["last_error"].(string); !strings.Contains(last, "cursor cycle") {
		t.Errorf("/healthz last_error = %q, want the cursor cycle", last)
	}
}
