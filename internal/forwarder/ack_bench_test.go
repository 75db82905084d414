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
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// BenchmarkForwardHECAck measures forward → Splunk HEC with indexer
// acknowledgement (gzip, 8 senders, batches of 2,000, the defaults of
// forward run with SPLUNK_HEC_ACK=true, and an ack timeout of 2s) over one
// topic of BENCH_ACK_EVENTS (default 200,000) simulator events, in one run:
// with every ack confirmed, with the 2nd and 9th requests' acks and 1 % of
// the others lost (SPLUNK_HEC_ACK_PENDING_BYTES at its default), and the
// same losses with batches keeping their sender until confirmed (as before
// AckPendingBytes). The receiver confirms an ackId at its first poll.
func BenchmarkForwardHECAck(b *testing.B) {
	brokers, broker, topic, n := benchTopic(b, "BENCH_ACK_EVENTS", 200_000)
	hecOpts := transform.HECOptions{Host: "bench"}
	format := func(d []byte, ev *event.Event) []byte { return transform.AppendHEC(d, ev, hecOpts) }
	cases := []struct {
		name    string
		lose    []int
		frac    float64
		pending int
	}{
		{"no-loss", nil, 0, 128 << 20},
		{"lost-1pct", []int{2, 9}, 0.01, 128 << 20},
		{"lost-1pct-ack-in-sender", []int{2, 9}, 0.01, 0},
	}
	rates := map[string]float64{}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var resent, requests, lost int64
			rates[tc.name] = measure(b, n, broker, func(group string) {
				rcv := newAckingHEC(b, tc.lose, tc.frac, 1)
				sink, err := sinks.NewHEC(sinks.HECConfig{URL: rcv.url, Token: "t", Gzip: true, Ack: true, AckTimeout: 2 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				resent += forwardAcked(b, brokers, topic, group, n, sink, format, tc.pending)
				requests += rcv.requests.Load()
				lost += rcv.lostCount()
			})
			b.ReportMetric(float64(resent)/float64(b.N), "resent-records/op")
			b.ReportMetric(float64(lost)/float64(b.N), "lost-acks/op")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
		})
	}
	if len(rates) < len(cases) {
		return // filtered by -bench
	}
	base := rates["no-loss"]
	for _, tc := range cases {
		fmt.Printf("%-24s %9.0f events/s  %.2f x no-loss\n", tc.name, rates[tc.name], rates[tc.name]/base)
	}
}

// forwardAcked forwards n records with AckPendingBytes pending and returns
// how many records were sent again for want of an acknowledgement.
func forwardAcked(b *testing.B, brokers, topic, group string, n int, sink forwarder.Sink, format forwarder.Format, pending int) int64 {
	var resent atomic.Int64
	forwardAll(b, brokers, topic, group, n, sink, format, forwarder.Config{BatchSize: 2000, Senders: 8, AckPendingBytes: pending,
		Logger: zerolog.New(resentCounter{&resent}).Level(zerolog.WarnLevel)})
	return resent.Load()
}

// resentCounter adds up the records of the forwarder's "sending those
// records again" warnings (with the ack in the sender, the retry warnings).
type resentCounter struct{ n *atomic.Int64 }

func (r resentCounter) Write(p []byte) (int, error) {
	var l struct {
		Records int64  `json:"records"`
		Message string `json:"message"`
	}
	if json.Unmarshal(p, &l) == nil && (strings.Contains(l.Message, "again") || strings.Contains(l.Message, "retry")) {
		r.n.Add(l.Records)
	}
	return len(p), nil
}

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
	events, _ := countingHEC(b) // the same work per event request as the other HEC benchmarks
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
