package testkit

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// ReadAll returns every record of topic, partition by partition, read with
// plain fetch requests up to each partition's end offset (no consumer group,
// nothing committed). A missing topic reads as empty.
func ReadAll(tb testing.TB, addr, topic string) []kafka.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
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
	var out []kafka.Message
	for _, p := range parts {
		out = append(out, readPartition(ctx, tb, p)...)
	}
	return out
}

func readPartition(ctx context.Context, tb testing.TB, p kafka.Partition) []kafka.Message {
	tb.Helper()
	addr := net.JoinHostPort(p.Leader.Host, strconv.Itoa(p.Leader.Port))
	conn, err := kafka.DialLeader(ctx, "tcp", addr, p.Topic, p.ID)
	if err != nil {
		tb.Fatalf("dial leader of %s/%d: %v", p.Topic, p.ID, err)
	}
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
