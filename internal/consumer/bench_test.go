package consumer

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// BenchmarkConsume reads a topic of simulator events (LZ4, as publish
// writes them; BENCH_EVENTS of them, default 300,000) as a new consumer
// group, in the same run: with kafka-go's Reader (the baseline of issue 15)
// and with this package. It reports events/s, this process's CPU µs per
// event and the allocations per event. The broker runs in a process of its
// own.
func BenchmarkConsume(b *testing.B) {
	n := benchkit.EnvInt("BENCH_EVENTS", 300_000)
	brokers, _ := testkit.MustKafkaProcess(b, "../testkit/kfakebroker")
	topic := testkit.Name("bench")
	benchkit.FillTopic(b, brokers, topic, n)
	b.Run("kafka-go-reader", func(b *testing.B) {
		measureConsume(b, n, func(group string) { benchkit.RawConsume(b, brokers, topic, group, n) })
	})
	b.Run("consumer", func(b *testing.B) {
		measureConsume(b, n, func(group string) { consumeAll(b, brokers, topic, group, n) })
	})
}

// consumeAll reads n records as a new member of group and nothing else.
func consumeAll(b *testing.B, brokers, topic, group string, n int) {
	c, err := New(Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic}, Dialer: kafka.DefaultDialer,
		MaxWait: 100 * time.Millisecond, Logger: zerolog.Nop()})
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
		before := benchkit.CPU()
		fn(testkit.Name("bench-group"))
		cpu += benchkit.CPU() - before
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	events := float64(n * b.N)
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(float64(ms.Mallocs-mallocs)/events, "allocs/event")
}

// BenchmarkDecodeEvents decodes the record batches of simulator events as
// publish writes them (LZ4), as a broker returns them, without I/O: the
// decoding's share of the consume cost.
func BenchmarkDecodeEvents(b *testing.B) {
	_, brokers := testkit.MustKafka(b)
	topic := testkit.Name("bench")
	benchkit.FillTopic(b, brokers, topic, 20_000)
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.MaxVersions(kversion.V2_0_0())) // Fetch v8: topics by name
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.ReplicaID, req.MaxBytes, req.MinBytes = 4, -1, 64<<20, 1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	for p := range int32(3) {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.PartitionMaxBytes = p, 64<<20
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		b.Fatal(err)
	}
	var sets [][]byte
	records := 0
	for _, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != 0 {
			b.Fatalf("fetch partition %d: %v", p.Partition, kafka.Error(p.ErrorCode))
		}
		sets = append(sets, p.RecordBatches)
		msgs, _, _, err := newDecoder(topic, 0).decodeAll(nil, p.RecordBatches, 0, 0)
		if err != nil {
			b.Fatal(err)
		}
		records += len(msgs)
	}
	if records != 20_000 {
		b.Fatalf("fetched %d records, want 20000", records)
	}
	d := newDecoder(topic, 0)
	msgs := make([]kafka.Message, 0, 20_000)
	b.ReportAllocs()
	for b.Loop() {
		for _, set := range sets {
			if msgs, _, _, err = d.decodeAll(msgs[:0], set, 0, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*records), "ns/event")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() {
		for _, set := range sets {
			msgs, _, _, _ = d.decodeAll(msgs[:0], set, 0, 0)
		}
	}))/float64(records), "allocs/event")
}
