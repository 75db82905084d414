package forwarder_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// An HEC receiver with indexer acknowledgement, over benchkit's counting
// one.

// ackingHEC answers like HEC with indexer acknowledgement: it counts the
// events of each request, gives it an ackId, and confirms it at its first
// poll, except the lost ones (never), which it remembers as pending.
type ackingHEC struct {
	url      string
	requests atomic.Int64
	lose     []int
	frac     float64

	mu      sync.Mutex
	rng     *rand.Rand
	next    int64
	pending map[int64]bool // ackId -> lost
}

func newAckingHEC(b *testing.B, lose []int, frac float64, seed uint64) *ackingHEC {
	h := &ackingHEC{lose: lose, frac: frac, rng: rand.New(rand.NewPCG(seed, 1)), pending: map[int64]bool{}}
	events, _ := benchkit.CountingHEC(b) // the same work per event request as the other HEC benchmarks
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/ack") {
			h.ack(w, r)
			return
		}
		h.event(w, r, events)
	}))
	b.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// event forwards the request to the counting receiver, then gives the
// ackId.
func (h *ackingHEC) event(w http.ResponseWriter, r *http.Request, counting string) {
	req, _ := http.NewRequest(http.MethodPost, counting+"/services/collector/event", r.Body)
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		http.Error(w, `{"text":"Invalid data format","code":6}`, resp.StatusCode)
		return
	}
	nth := h.requests.Add(1)
	h.mu.Lock()
	id := h.next
	h.next++
	h.pending[id] = slices.Contains(h.lose, int(nth)) || h.rng.Float64() < h.frac
	h.mu.Unlock()
	_, _ = fmt.Fprintf(w, `{"text":"Success","code":0,"ackId":%d}`, id)
}

// ack answers {"acks":{"id":bool}} and forgets the ackIds reported true.
func (h *ackingHEC) ack(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Acks []int64 `json:"acks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
		return
	}
	out := make(map[string]bool, len(req.Acks))
	h.mu.Lock()
	for _, id := range req.Acks {
		lost, known := h.pending[id]
		out[strconv.FormatInt(id, 10)] = known && !lost
		if known && !lost {
			delete(h.pending, id)
		}
	}
	h.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"acks": out})
}

func (h *ackingHEC) lostCount() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return int64(len(h.pending))
}
