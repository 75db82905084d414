package consumer_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// legacySet encodes a message set of magic 1 (Kafka 0.10), one message per
// value from offset base.
func legacySet(base int64, values ...string) []byte {
	var b []byte
	for i, v := range values {
		msg := []byte{1, 0}                                                   // magic, attributes
		msg = binary.BigEndian.AppendUint64(msg, uint64(1_767_225_600_000+i)) // timestamp
		msg = binary.BigEndian.AppendUint32(msg, 0xFFFFFFFF)                  // null key
		msg = binary.BigEndian.AppendUint32(msg, uint32(len(v)))
		msg = append(msg, v...)
		b = binary.BigEndian.AppendUint64(b, uint64(base+int64(i)))
		b = binary.BigEndian.AppendUint32(b, uint32(4+len(msg)))
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(msg))
		b = append(b, msg...)
	}
	return b
}

// A partition whose fetches answer legacy message sets is read through
// kafka-go's Conn: every record comes, once, in order.
func TestLegacyMessageSets(t *testing.T) {
	const topic = "legacy"
	values := make([]string, 150) // more than two chunks of 64
	for i := range values {
		values[i] = fmt.Sprintf("v%d", i)
	}
	cl, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.ControlKey(int16(kmsg.Fetch), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		cl.KeepControl()
		req := kreq.(*kmsg.FetchRequest)
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewFetchResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewFetchResponseTopicPartition()
				sp.Partition, sp.HighWatermark, sp.LastStableOffset = rp.Partition, int64(len(values)), int64(len(values))
				if off := rp.FetchOffset; off >= 0 && off < int64(len(values)) {
					sp.RecordBatches = legacySet(off, values[off:]...)
				}
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	c := newConsumer(t, cl.ListenAddrs()[0], "legacy-group", topic)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []kafka.Message
	for len(got) < len(values) {
		chunk, err := c.Fetch(ctx)
		if err != nil {
			t.Fatalf("after %d records: %v", len(got), err)
		}
		got = append(got, chunk...)
	}
	if len(got) != len(values) {
		t.Errorf("%d records, want %d", len(got), len(values))
	}
	for i, m := range got {
		if m.Offset != int64(i) || string(m.Value) != values[i] {
			t.Errorf("record %d: offset %d, value %q; want %d, %q", i, m.Offset, m.Value, i, values[i])
		}
	}
}
