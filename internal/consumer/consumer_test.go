package consumer_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// fill writes n records keyed k0..k{n-1} to a new topic (three partitions).
func fill(t *testing.T, brokers string, n int) string {
	t.Helper()
	topic := testkit.Name("events")
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		AllowAutoTopicCreation: true, BatchSize: 500}
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	return topic
}

func newConsumer(t *testing.T, brokers, group, topic string) *consumer.Consumer {
	t.Helper()
	c, err := consumer.New(consumer.Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic},
		Dialer: kafka.DefaultDialer, MaxWait: 50 * time.Millisecond, ChunkSize: 64, SessionTimeout: 6 * time.Second,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// read fetches until want records arrived or d passed; it checks that each
// chunk is one partition's records in offset order, continuing the previous
// chunk of that partition.
func read(t *testing.T, c *consumer.Consumer, want int, d time.Duration, next map[int]int64) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var got []kafka.Message
	for len(got) < want {
		chunk, err := c.Fetch(ctx)
		if err != nil {
			t.Fatalf("after %d of %d records: %v", len(got), want, err)
		}
		for _, m := range chunk {
			if m.Partition != chunk[0].Partition {
				t.Fatalf("a chunk mixes partitions %d and %d", chunk[0].Partition, m.Partition)
			}
			if o, ok := next[m.Partition]; ok && m.Offset != o {
				t.Fatalf("partition %d: offset %d after %d", m.Partition, m.Offset, o-1)
			}
			next[m.Partition] = m.Offset + 1
		}
		got = append(got, chunk...)
	}
	return got
}

// Every record is read once, in order per partition; after a commit, a
// new member of the group (a restart) resumes after the committed offsets.
func TestReadsEverythingAndResumesAfterTheCommit(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	topic, group := fill(t, brokers, 3000), testkit.Name("g")

	c := newConsumer(t, brokers, group, topic)
	first := read(t, c, 1000, 30*time.Second, map[int]int64{})
	if err := c.Commit(context.Background(), first...); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = newConsumer(t, brokers, group, topic)
	defer c.Close()
	next := map[int]int64{}
	for _, m := range first {
		next[m.Partition] = max(next[m.Partition], m.Offset+1) // the restart must start right there
	}
	rest := read(t, c, 3000-len(first), 30*time.Second, next)
	seen := map[string]int{}
	for _, m := range append(first, rest...) {
		seen[string(m.Key)]++
	}
	var dup []string
	for k, n := range seen {
		if n > 1 {
			dup = append(dup, k)
		}
	}
	sort.Strings(dup)
	if len(seen) != 3000 || len(dup) > 0 {
		t.Fatalf("read %d distinct records of 3000, duplicates %v", len(seen), dup)
	}
}

// Two members share the partitions: together they read every record, and
// each gets some of the partitions.
func TestMembersShareThePartitions(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	topic, group := fill(t, brokers, 2000), testkit.Name("g")
	a, b := newConsumer(t, brokers, group, topic), newConsumer(t, brokers, group, topic)
	defer a.Close()
	defer b.Close()

	seen := map[string]int{}
	parts := map[*consumer.Consumer]map[int]bool{a: {}, b: {}}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	type read struct {
		c     *consumer.Consumer
		chunk []kafka.Message
	}
	reads := make(chan read)
	for _, c := range []*consumer.Consumer{a, b} {
		go func() {
			for {
				chunk, err := c.Fetch(ctx)
				if err != nil {
					return
				}
				select {
				case reads <- read{c, chunk}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	// The first member may read everything before the second joins; after
	// the rebalance the second reads its partitions again (nothing was
	// committed). Wait for every record and for both members to read.
	for (len(seen) < 2000 || len(parts[a]) == 0 || len(parts[b]) == 0) && ctx.Err() == nil {
		select {
		case r := <-reads:
			for _, m := range r.chunk {
				seen[string(m.Key)]++
				parts[r.c][m.Partition] = true
			}
		case <-ctx.Done():
		}
	}
	if len(seen) != 2000 {
		t.Fatalf("the two members read %d distinct records of 2000", len(seen))
	}
	if len(parts[a]) == 0 || len(parts[b]) == 0 {
		t.Fatalf("partitions read: %v by one member, %v by the other; want both to have some", parts[a], parts[b])
	}
}

// Close returns promptly, with a fetch waiting and partitions being read.
func TestCloseIsPrompt(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	topic := fill(t, brokers, 10)
	c := newConsumer(t, brokers, testkit.Name("g"), topic)
	read(t, c, 10, 30*time.Second, map[int]int64{})
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if _, err := c.Fetch(context.Background()); err == nil {
		t.Fatal("Fetch after Close returned records, want an error")
	}
}

// A committed offset whose records retention deleted before they were read:
// reading continues at the first record left, and the loss is logged as an
// error (nothing can deliver those records any more).
func TestOffsetDeletedByRetentionIsLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	topic, group := testkit.Name("events"), testkit.Name("g")
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	defer w.Close()
	msgs := make([]kafka.Message, 100)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte("one-partition"), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	c := newConsumer(t, brokers, group, topic)
	got := read(t, c, 100, 30*time.Second, map[int]int64{})
	partition := got[0].Partition
	if err := c.Commit(context.Background(), got[:10]...); err != nil { // committed: offset 10
		t.Fatal(err)
	}
	c.Close()

	// Retention deletes offsets 0 to 49.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = int32(partition), 50
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("delete records: %v %+v", err, resp)
	}

	var logs testkit.SyncBuffer
	c, err = consumer.New(consumer.Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic},
		Dialer: kafka.DefaultDialer, MaxWait: 50 * time.Millisecond, Logger: zerolog.New(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rest := read(t, c, 50, 30*time.Second, map[int]int64{})
	if rest[0].Offset != 50 {
		t.Fatalf("reading resumed at offset %d, want 50 (the first left)", rest[0].Offset)
	}
	if !strings.Contains(logs.String(), `"level":"error"`) || !strings.Contains(logs.String(), "deleted by retention") {
		t.Fatalf("the lost records were not logged as an error:\n%s", logs.String())
	}
}
