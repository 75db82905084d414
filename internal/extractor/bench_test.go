package extractor_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/budget"
	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
)

// benchEvents is the backlog extracted per benchmark iteration.
const benchEvents = 200_000

// BenchmarkExtract measures a full catch-up with the rate limit off: the
// simulator serving pages over HTTP, the client decoding them, Kafka
// acknowledging every record (acks=all), Postgres committing each page.
// BenchmarkRawProduce, the same records written straight to the same kind of
// broker, is the baseline its ratio is reported against (BENCHMARKS.md).
func BenchmarkExtract(b *testing.B) {
	for _, n := range []int{benchEvents / 2, benchEvents} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				h := newHarness(b, pigmentsim.Config{Seed: int64(i), History: 48 * time.Hour, HistoryEvents: n, LateFraction: -1})
				stop := sampleHeap(&peak)
				b.StartTimer()
				res, err := h.extractor(h.config()).CatchUp(context.Background())
				b.StopTimer()
				stop()
				if err != nil || res.Run.Produced != int64(n) {
					b.Fatalf("CatchUp produced %d of %d: %v", res.Run.Produced, n, err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// BenchmarkRawProduce writes pre-rendered records of the same size to the
// broker with kafka-go alone, in synchronous 1,000-record writes with
// acks=all: the ceiling the extractor is compared with.
func BenchmarkRawProduce(b *testing.B) {
	h := newHarness(b, pigmentsim.Config{Seed: 1, History: 48 * time.Hour, HistoryEvents: 20_000, LateFraction: -1})
	var msgs []kafka.Message
	for _, ev := range fetchAll(b, h) {
		msgs = append(msgs, record.Event(h.topic, ev))
	}
	b.ResetTimer()
	written := 0
	for i := 0; i < b.N; i++ {
		for written < benchEvents*(i+1) {
			chunk := msgs[written%len(msgs):][:1000]
			if err := h.pub.Write(context.Background(), chunk); err != nil {
				b.Fatal(err)
			}
			written += len(chunk)
		}
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "events/s")
}

// sampleHeap records the peak live heap until the returned stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for !done.Load() {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return func() { done.Store(true); wg.Wait() }
}

// BenchmarkRateLimitedCatchUp is a 179-day catch-up (the API keeps 180) against a simulator
// enforcing a fixed-window rate limit, through the Postgres-shared budget:
// it reports the share of the server's request budget used (the target is
// at least 95%) and the 429s received (the target is none). The window is
// scaled down from 500 per 5 minutes to 40 per 2 seconds to fit a benchmark;
// the client's window is the server's plus the same small margin for skew
// that extract adds in production (1 s on 5 minutes there).
func BenchmarkRateLimitedCatchUp(b *testing.B) {
	const limit, window, margin = 40, 2 * time.Second, 40 * time.Millisecond
	for i := 0; i < b.N; i++ {
		t := b
		h := newHarness(t, pigmentsim.Config{
			Seed: 2, Clock: time.Now, History: 179 * 24 * time.Hour, HistoryEvents: 300_000, LateFraction: -1,
			RateLimit: limit, RateWindow: window,
		})
		bud, err := budget.New(h.pool, budget.Config{Key: "bench", Limit: limit, Window: window + margin, Class: budget.Live, Poll: 20 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		client, err := pigment.New(pigment.Config{BaseURL: h.srvURL, APIKey: simKey, Limiter: bud, Logger: testLogger(t)})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := extractor.New(h.config(), client, h.pub, h.store).CatchUp(context.Background())
		elapsed := time.Since(start)
		if err != nil || res.Run.Produced != 300_000 {
			b.Fatalf("catch-up produced %d: %v", res.Run.Produced, err)
		}
		st := h.sim.Stats()
		allowed := float64(limit) * elapsed.Seconds() / window.Seconds()
		b.ReportMetric(100*float64(st.Requests)/allowed, "%budget-used")
		b.ReportMetric(float64(st.RateLimited), "429s")
		b.ReportMetric(float64(res.Run.Pages), "pages")
	}
}
