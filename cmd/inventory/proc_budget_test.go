package main

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// auditRequests records when the Audit Logs API was asked (the live
// extractor's polls), beside the simulator's own counts.
type auditRequests struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *auditRequests) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/audit/") {
			a.mu.Lock()
			a.times = append(a.times, time.Now())
			a.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

// between counts the requests in [from, to).
func (a *auditRequests) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.times {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// TestSnapshotBesideLiveExtract: `inventory once` and a live `extract run`
// on the same simulator (its rate limit on) and the same Postgres budget:
// the snapshot's thousands of requests cause no 429, and the extractor
// keeps polling at its pace throughout (its reserve holds).
func TestSnapshotBesideLiveExtract(t *testing.T) {
	t.Parallel()
	const (
		limit = "1000/1s"
		poll  = 200 * time.Millisecond
	)
	var audit auditRequests
	s := newSimStack(t, pigmentsim.Config{Clock: time.Now, RateLimit: 1000, RateWindow: time.Second, Rate: 20,
		History: time.Hour, HistoryEvents: 500}, audit.wrap)
	ex := testkit.Start(t, extractBin, s.stack.ExtractEnv(map[string]string{"PIGMENT_RATE_LIMIT": limit,
		"PIGMENT_POLL_INTERVAL": poll.String(), "METRICS_ADDR": "127.0.0.1:0"}), "run")
	defer ex.Stop()
	if !testkit.Eventually(20*time.Second, func() bool { return audit.between(time.Now().Add(-2*time.Second), time.Now()) >= 5 }) {
		t.Fatalf("extract run is not polling; stderr:\n%s", testkit.Tail(ex.Stderr(), 4096))
	}
	start := time.Now()
	out := testkit.MustRun(t, inventoryBin, s.env(map[string]string{"PIGMENT_RATE_LIMIT": limit}), "once")
	took := time.Since(start)
	st := s.sim.Stats()
	t.Logf("snapshot beside extract: %v, %d requests at the simulator, %d polls; %s", took, st.Requests,
		audit.between(start, start.Add(took)), strings.TrimSpace(out))
	if st.RateLimited != 0 {
		t.Errorf("the simulator answered %d 429s, want none", st.RateLimited)
	}
	// One poll every 200ms, whatever the snapshot takes: at least 70 % of
	// them (the machine is shared), never starved by the inventory.
	if want := int(took / poll * 7 / 10); audit.between(start, start.Add(took)) < want {
		t.Errorf("extract polled %d times during the %v snapshot, want at least %d (one per %v)",
			audit.between(start, start.Add(took)), took, want, poll)
	}
	if took < 4*time.Second {
		t.Errorf("the snapshot took %v: it was not throttled by the budget (about 5,000 requests at 1,000 per 2s)", took)
	}
	if ex.Exited() {
		t.Errorf("extract run exited; stderr:\n%s", testkit.Tail(ex.Stderr(), 4096))
	}
}
