package consumer

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// BenchmarkConsume reads a topic of simulator events (LZ4, as publish
// writes them; BENCH_EVENTS of them, default 300,000) as a new consumer
// group, in the same run: with kafka-go's Reader (the baseline of issue 15), with this
// package reading through kafka-go's Conn (its path before it decoded
// fetches itself), and with this package. It reports events/s, this
// process's CPU µs per event and the allocations per event. The broker
// runs in a process of its own.
func BenchmarkConsume(b *testing.B) {
	n := 300_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	brokers, _ := testkit.MustKafkaProcess(b, "../testkit/kfakebroker")
	topic := testkit.Name("bench")
	benchkit.FillTopic(b, brokers, topic, n)
	b.Run("kafka-go-reader", func(b *testing.B) {
		measureConsume(b, n, func(group string) { benchkit.RawConsume(b, brokers, topic, group, n) })
	})
	b.Run("kafka-go-conn", func(b *testing.B) {
		measureConsume(b, n, func(group string) { consumeAll(b, brokers, topic, group, n, true) })
	})
	b.Run("consumer", func(b *testing.B) {
		measureConsume(b, n, func(group string) { consumeAll(b, brokers, topic, group, n, false) })
	})
}

// consumeAll reads n records as a new member of group and nothing else.
func consumeAll(b *testing.B, brokers, topic, group string, n int, kafkaGoReads bool) {
	c, err := New(Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic}, Dialer: kafka.DefaultDialer,
		MaxWait: 100 * time.Millisecond, Logger: zerolog.Nop(), kafkaGoReads: kafkaGoReads})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for read := 0; read < n; {
		chunk, err := c.Fetch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		read += len(chunk)
	}
}

func measureConsume(b *testing.B, n int, fn func(group string)) {
	var cpu time.Duration
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	b.ResetTimer()
	for range b.N {
		before := cpuTime()
		fn(testkit.Name("bench-group"))
		cpu += cpuTime() - before
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	events := float64(n * b.N)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/events, "allocs/event")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
