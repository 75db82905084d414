package consumer

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// writeTopic writes msgs with kafka-go's Writer and codec, in batches of
// batch records, to a new topic, and returns its name.
func writeTopic(t *testing.T, brokers string, codec kafka.Compression, batch int, msgs []kafka.Message) string {
	t.Helper()
	topic := testkit.Name("events")
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		AllowAutoTopicCreation: true, BatchSize: batch, BatchBytes: 8 << 20, Compression: codec, Transport: testkit.Transport(t)}
	defer w.Close()
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	return topic
}

// testMessages are n records with every shape of key, value and headers.
func testMessages(n int) []kafka.Message {
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		m := kafka.Message{Key: []byte(fmt.Sprintf("k%d", i%7)), Value: []byte(fmt.Sprintf(`{"i":%d,"s":"é]\"\\%s"}`, i, strings.Repeat("x", i%50)))}
		switch i % 5 {
		case 1:
			m.Key, m.Value = nil, nil
		case 2:
			m.Key, m.Value = []byte{}, []byte{}
		case 3:
			m.Headers = []kafka.Header{{Key: "eventId", Value: []byte(fmt.Sprint(i))}, {Key: "eventId", Value: []byte("dup")}, {Key: "empty", Value: []byte{}}, {Key: "nil"}}
		case 4:
			m.Headers = []kafka.Header{{Key: "type", Value: []byte("login")}}
		}
		msgs[i] = m
	}
	return msgs
}

// fetchAll reads topic/partition from offset up to end through the new path.
func fetchAll(t *testing.T, brokers, topic string, partition int, from, end int64, maxBytes int) []kafka.Message {
	t.Helper()
	c := &Consumer{cfg: Config{Brokers: []string{brokers}, Dialer: kafka.DefaultDialer}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := c.dialLeader(ctx, topic, partition)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	var out []kafka.Message
	chunks := &chunker{size: 64, send: func(msgs []kafka.Message) bool {
		out = append(out, msgs...)
		return true
	}}
	for offset := from; offset < end && ctx.Err() == nil; {
		res, err := pc.fetch(offset, maxBytes, 50*time.Millisecond, chunks)
		chunks.flush()
		if err != nil || res.errCode != 0 || pc.legacy {
			t.Fatalf("fetch at %d: %v, error code %d, legacy %v", offset, err, res.errCode, pc.legacy)
		}
		offset = res.next
	}
	return out
}

// Records written with each codec come back as kafka-go's own reader reads
// them: keys, values, headers, offsets, times, high watermarks.
func TestFetchMatchesKafkaGoForEveryCodec(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	msgs := testMessages(1000)
	for _, codec := range []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd} {
		name := "none"
		if codec != 0 {
			name = codec.String()
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			topic := writeTopic(t, brokers, codec, 100, msgs)
			want := testkit.ReadAll(t, brokers, topic)
			slices.SortFunc(want, func(a, b kafka.Message) int { return cmp.Or(a.Partition-b.Partition, int(a.Offset-b.Offset)) })
			ends := testkit.EndOffsets(t, brokers, topic)
			var got []kafka.Message
			for p := range 3 {
				got = append(got, fetchAll(t, brokers, topic, p, 0, ends[p], 1<<20)...)
			}
			if len(got) != len(msgs) || !reflect.DeepEqual(got, want) {
				t.Fatalf("read %d records, kafka-go %d; first difference: %s", len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []kafka.Message) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	return "lengths"
}

// Reading from the middle of a compressed batch returns no record before
// the requested offset.
func TestFetchFromInsideACompressedBatch(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	msgs := make([]kafka.Message, 100)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte("one-partition"), Value: []byte(fmt.Sprint(i))}
	}
	topic := writeTopic(t, brokers, kafka.Lz4, 100, msgs)
	all := testkit.ReadAll(t, brokers, topic)
	p := all[0].Partition
	got := fetchAll(t, brokers, topic, p, 37, 100, 1<<20)
	if !reflect.DeepEqual(got, all[37:]) {
		t.Fatalf("from offset 37: %d records, first at offset %d; want %d from 37", len(got), got[0].Offset, len(all)-37)
	}
}

// A record larger than MaxBytes is still delivered, and the ones after it.
func TestRecordLargerThanMaxBytes(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(8 << 20)}))
	big := kafka.Message{Key: []byte("p"), Value: []byte(strings.Repeat("x", 2<<20))}
	small := kafka.Message{Key: []byte("p"), Value: []byte("after")}
	topic := writeTopic(t, brokers, 0, 1, []kafka.Message{small, big, small})
	var logs testkit.SyncBuffer
	c, err := New(Config{Brokers: []string{brokers}, GroupID: testkit.Name("g"), Topics: []string{topic},
		Dialer: kafka.DefaultDialer, MaxWait: 50 * time.Millisecond, MaxBytes: 1 << 20, Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []kafka.Message
	for len(got) < 3 {
		chunk, err := c.Fetch(ctx)
		if err != nil {
			t.Fatalf("after %d records: %v\n%s", len(got), err, logs.String())
		}
		got = append(got, chunk...)
	}
	if len(got[1].Value) != 2<<20 || string(got[2].Value) != "after" {
		t.Fatalf("read values of %d, %d, %d bytes", len(got[0].Value), len(got[1].Value), len(got[2].Value))
	}
}
