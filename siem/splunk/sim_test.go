package splunkapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// simEventCount is enough simulated events for the rarest type (weight 1 in
// about 930) to appear many times in each vocabulary.
const simEventCount = 20000

var simNow = time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)

var simCache struct {
	sync.Mutex
	byShape map[string][][]byte
}

// mustSimEvents returns simEventCount events the simulator renders in shape
// (pigmentsim.ShapeDescribed or ShapePublic), rendered once per test binary.
func mustSimEvents(tb testing.TB, shape string) [][]byte {
	tb.Helper()
	simCache.Lock()
	defer simCache.Unlock()
	if evs, ok := simCache.byShape[shape]; ok {
		return evs
	}
	sim, err := pigmentsim.New(pigmentsim.Config{
		Seed: 13, APIKey: "k", Shape: shape, History: 48 * time.Hour, HistoryEvents: simEventCount,
		PageSize: simEventCount, LateFraction: -1, Clock: func() time.Time { return simNow },
	})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	u := srv.URL + "/api/audit/v1/events?ingestedSince=" + url.QueryEscape(simNow.Add(-72*time.Hour).Format(time.RFC3339))
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer k")
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct{ Events []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&page); resp.StatusCode != http.StatusOK || err != nil {
		tb.Fatalf("simulator answered %s (%v)", resp.Status, err)
	}
	if len(page.Events) != simEventCount {
		tb.Fatalf("simulator returned %d events, want %d", len(page.Events), simEventCount)
	}
	evs := make([][]byte, len(page.Events))
	for i, e := range page.Events {
		evs[i] = e
	}
	if simCache.byShape == nil {
		simCache.byShape = map[string][][]byte{}
	}
	simCache.byShape[shape] = evs
	return evs
}

// simEventTypes returns the distinct event types the simulator emits in
// shape, with the count of each.
func simEventTypes(tb testing.TB, shape string) map[string]int {
	tb.Helper()
	types := map[string]int{}
	for _, raw := range mustSimEvents(tb, shape) {
		var e struct{ EventType string }
		if err := json.Unmarshal(raw, &e); err != nil {
			tb.Fatal(err)
		}
		types[e.EventType]++
	}
	return types
}
