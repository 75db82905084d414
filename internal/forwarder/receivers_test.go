package forwarder_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// The benchmarks' stand-ins for the SIEMs: receivers that speak each
// sink's protocol and do the least a real server must (read, decompress,
// count, answer), so that the figures are the forwarder's.

// countingHEC answers like HEC (gzip bodies, {"text":"Success","code":0})
// and counts events, one per line as the HEC sink writes them. Like any
// server it reuses its decompressors and read buffers; it reads and
// decompresses every byte.
func countingHEC(b *testing.B) (string, *atomic.Int64) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr := gzReaders.Get().(*gzip.Reader)
			defer gzReaders.Put(zr)
			if err := zr.Reset(r.Body); err != nil {
				http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
				return
			}
			body = zr
		}
		n, err := countLines(body)
		if err != nil {
			http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
			return
		}
		count.Add(int64(n))
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	b.Cleanup(srv.Close)
	return srv.URL, &count
}

var (
	gzReaders   = sync.Pool{New: func() any { return new(gzip.Reader) }}
	readBuffers = sync.Pool{New: func() any { return make([]byte, 256<<10) }}
)

// countLines reads r to the end and counts its newlines.
func countLines(r io.Reader) (int, error) {
	buf := readBuffers.Get().([]byte)
	defer readBuffers.Put(buf)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// countingElastic answers _bulk with one 201 item per action line.
func countingElastic(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lines, err := countLines(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := lines / 2
		out := make([]byte, 0, 64+n*32)
		out = append(out, `{"took":1,"errors":false,"items":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"create":{"status":201}}`...)
		}
		out = append(out, "]}"...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// countingSyslog reads RFC 6587 octet-counted frames and counts them.
func countingSyslog(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					l, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(l[:len(l)-1])
					if err != nil {
						return
					}
					if _, err := br.Discard(size); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
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
