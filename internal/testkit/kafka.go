package testkit

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// ReadAll returns every record of topic, partition by partition, read with
// plain fetch requests up to each partition's end offset (no consumer group,
// nothing committed). A missing topic reads as empty.
func ReadAll(tb testing.TB, addr, topic string) []kafka.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []kafka.Message
	for _, p := range partitions(ctx, tb, addr, topic) {
		out = append(out, readPartition(ctx, tb, p)...)
	}
	return out
}

// EndOffsets returns the end offset of every partition of topic (none for
// a missing topic).
func EndOffsets(tb testing.TB, addr, topic string) map[int]int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := map[int]int64{}
	for _, p := range partitions(ctx, tb, addr, topic) {
		conn := dialPartition(ctx, tb, p)
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			tb.Fatalf("last offset of %s/%d: %v", p.Topic, p.ID, err)
		}
		out[p.ID] = last
	}
	return out
}

// AddPartition raises topic to count partitions and writes m to the last,
// new one.
func AddPartition(tb testing.TB, addr, topic string, count int, m kafka.Message) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(addr), Transport: Transport(tb)}
	resp, err := c.CreatePartitions(ctx, &kafka.CreatePartitionsRequest{
		Topics: []kafka.TopicPartitionsConfig{{Name: topic, Count: int32(count)}},
	})
	if err != nil || resp.Errors[topic] != nil {
		tb.Fatalf("add partitions to %s: %v %v", topic, err, resp)
	}
	conn, err := kafka.DialLeader(ctx, "tcp", addr, topic, count-1)
	if err != nil {
		tb.Fatalf("dial partition %d of %s: %v", count-1, topic, err)
	}
	defer conn.Close()
	if _, err := conn.WriteMessages(m); err != nil {
		tb.Fatalf("write to partition %d of %s: %v", count-1, topic, err)
	}
}

// partitions lists the partitions of topic, none for a missing topic.
func partitions(ctx context.Context, tb testing.TB, addr, topic string) []kafka.Partition {
	tb.Helper()
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if errors.Is(err, kafka.UnknownTopicOrPartition) {
		return nil
	}
	if err != nil {
		tb.Fatalf("read partitions of %s: %v", topic, err)
	}
	return parts
}

// dialPartition connects to the leader of p; the caller closes it.
func dialPartition(ctx context.Context, tb testing.TB, p kafka.Partition) *kafka.Conn {
	tb.Helper()
	addr := net.JoinHostPort(p.Leader.Host, strconv.Itoa(p.Leader.Port))
	conn, err := kafka.DialLeader(ctx, "tcp", addr, p.Topic, p.ID)
	if err != nil {
		tb.Fatalf("dial leader of %s/%d: %v", p.Topic, p.ID, err)
	}
	return conn
}

func readPartition(ctx context.Context, tb testing.TB, p kafka.Partition) []kafka.Message {
	tb.Helper()
	conn := dialPartition(ctx, tb, p)
	defer conn.Close()
	last, err := conn.ReadLastOffset()
	if err != nil {
		tb.Fatalf("last offset of %s/%d: %v", p.Topic, p.ID, err)
	}
	if _, err := conn.Seek(0, kafka.SeekAbsolute); err != nil {
		tb.Fatalf("seek %s/%d: %v", p.Topic, p.ID, err)
	}
	var out []kafka.Message
	for int64(len(out)) < last {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		batch := conn.ReadBatch(1, 16<<20)
		for {
			m, err := batch.ReadMessage()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					tb.Fatalf("read %s/%d: %v", p.Topic, p.ID, err)
				}
				break
			}
			out = append(out, m)
		}
		if err := batch.Close(); err != nil {
			tb.Fatalf("read batch %s/%d: %v", p.Topic, p.ID, err)
		}
	}
	return out
}

// Header returns the value of a record's header, "" if absent.
func Header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// MustKafkaProcess starts the kfake broker in a process of its own (see
// kfakebroker) and returns its address and process; benchmarks use it so the
// broker's heap and CPU are not the measured process's.
func MustKafkaProcess(tb testing.TB, kfakebrokerDir string) (string, *Proc) {
	tb.Helper()
	bin, cleanup, err := Build(kfakebrokerDir, "kfakebroker")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cleanup)
	p := Start(tb, bin, nil)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out := strings.TrimSpace(p.Stdout()); out != "" {
			return out, p
		}
		if p.Exited() {
			tb.Fatalf("kfakebroker exited: %s", p.Stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatal("kfakebroker printed no address within 30s")
	return "", nil
}

// HeaderSet returns the distinct values of a header over msgs (eventId,
// alertId) and how many records repeat a value already seen.
func HeaderSet(msgs []kafka.Message, key string) (set map[string]bool, repeats int) {
	set = map[string]bool{}
	for _, m := range msgs {
		v := Header(m, key)
		if set[v] {
			repeats++
		}
		set[v] = true
	}
	return set, repeats
}

// SetDiff returns the members of a not in b, sorted.
func SetDiff(a, b map[string]bool) []string {
	var out []string
	for id := range a {
		if !b[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// MustKafkaSASL starts a broker (MustKafka) that requires SASL with
// mechanism, user being its superuser, and returns its address and the
// KAFKA_* variables of a program that authenticates as user.
func MustKafkaSASL(tb testing.TB, mechanism, user, pass string) (string, Env) {
	tb.Helper()
	_, addr := MustKafka(tb, kfake.EnableSASL(), kfake.Superuser(mechanism, user, pass))
	return addr, Env{"KAFKA_BROKERS": addr, "KAFKA_SASL_MECHANISM": mechanism, "KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": pass}
}

// FirstRecord reads the first record of topic as the member of a new
// consumer group, connecting through dialer (a program's, with its TLS and
// SASL), and fails the test unless it does within 20 seconds.
func FirstRecord(tb testing.TB, addr, topic string, dialer *kafka.Dialer) kafka.Message {
	tb.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: Name("check"), GroupTopics: []string{topic},
		StartOffset: kafka.FirstOffset, Dialer: dialer, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := r.FetchMessage(ctx)
	if err != nil {
		tb.Fatalf("read %s as a group: %v", topic, err)
	}
	return m
}
