package forwarder_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// The forwarding benchmarks' shared machinery: a topic of simulator
// events on a broker of its own, a forwarder run to the last commit, and
// the figures of each run.

// benchTopic starts a broker in a process of its own (in this one, the
// garbage collector would mark its stored records on every cycle) and
// fills a fresh topic with n simulator events: the environment variable
// env when set to a positive number, else def.
func benchTopic(b *testing.B, env string, def int) (brokers string, broker *testkit.Proc, topic string, n int) {
	n = benchkit.EnvInt(env, def)
	brokers, broker = testkit.MustKafkaProcess(b, "../testkit/kfakebroker")
	topic = testkit.Name("bench")
	benchkit.FillTopic(b, brokers, topic, n)
	return brokers, broker, topic, n
}

// measure runs fn b.N times with a fresh group each and reports events/s,
// CPU µs per event of this process and of the broker's, the peak heap and
// the peak RSS (resetPeakRSS).
func measure(b *testing.B, n int, broker *testkit.Proc, fn func(group string)) float64 {
	var cpu, brokerCPU time.Duration
	var peak uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	runtime.GC() // the previous run's garbage is not this one's
	resetPeakRSS()
	if dir := os.Getenv("BENCH_PROFILE_DIR"); dir != "" {
		// A CPU profile of the measured runs only, without the topic's
		// filling: go test -cpuprofile would mix both.
		f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(b.Name(), "/", "_")+".cpu"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before, brokerBefore := benchkit.CPU(), procCPU(b, broker)
		fn(testkit.Name("bench-group"))
		cpu += benchkit.CPU() - before
		brokerCPU += procCPU(b, broker) - brokerBefore
	}
	b.StopTimer()
	close(stop)
	events := float64(n * b.N)
	rate := events / b.Elapsed().Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(float64(brokerCPU.Microseconds())/events, "broker-cpu-µs/event")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
	}
	return rate
}

func procCPU(b *testing.B, p *testkit.Proc) time.Duration {
	d, err := p.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// forwardAll runs a forwarder until the group has committed n records.
// cfg sets the batch size, the senders, AckPendingBytes and the logger;
// the benchmarks share the rest.
func forwardAll(b *testing.B, brokers, topic, group string, n int, sink forwarder.Sink, format forwarder.Format, cfg forwarder.Config) {
	c, err := consumer.New(consumer.Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic},
		Dialer: kafka.DefaultDialer, MaxWait: 100 * time.Millisecond, Logger: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	counting := &countingSource{Consumer: c, target: int64(n)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counting.done = cancel
	cfg.Sink, cfg.DLQTopic, cfg.BatchBytes, cfg.BatchWait = "bench", topic+"-dlq", 8<<20, 50*time.Millisecond
	if err := forwarder.New(cfg, counting, sink, format, nil).Run(ctx); err != nil {
		b.Fatal(err)
	}
	if counting.committed.Load() < int64(n) {
		b.Fatalf("committed %d of %d", counting.committed.Load(), n)
	}
}

// countingSource ends the run once n records are committed. It counts
// offsets, not messages: a commit needs only the last message of each
// partition, and the forwarder may pass no more.
type countingSource struct {
	*consumer.Consumer
	target    int64
	committed atomic.Int64
	done      context.CancelFunc

	mu   sync.Mutex
	ends map[int]int64 // partition -> committed offset (one topic)
}

func (c *countingSource) Commit(ctx context.Context, msgs ...kafka.Message) error {
	err := c.Consumer.Commit(ctx, msgs...)
	c.mu.Lock()
	if c.ends == nil {
		c.ends = map[int]int64{}
	}
	for _, m := range msgs {
		if e := m.Offset + 1; e > c.ends[m.Partition] {
			c.committed.Add(e - c.ends[m.Partition])
			c.ends[m.Partition] = e
		}
	}
	c.mu.Unlock()
	if c.committed.Load() >= c.target {
		c.done()
	}
	return err
}
