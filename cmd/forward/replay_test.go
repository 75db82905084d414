package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// stepSink delivers the first batch slowly, then refuses the credentials.
type stepSink struct{ sends int }

func (s *stepSink) Send(_ context.Context, recs [][]byte, _ []string) ([]sinks.Result, error) {
	if s.sends++; s.sends > 1 {
		return nil, fmt.Errorf("hec: 401: %w", sinks.ErrAuth)
	}
	time.Sleep(300 * time.Millisecond) // fetching goes on meanwhile
	return make([]sinks.Result, len(recs)), nil
}

// A dead letter of another stage read while an earlier batch is being
// delivered must not be committed with it: its offset would pass this
// sink's records fetched in between, not yet delivered, and a crash then
// would lose them.
func TestReplayCommitsNoSkippedRecordPastAnUndeliveredOne(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	dlqTopic := testkit.Name("dlq")
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: dlqTopic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	defer w.Close()
	letter := func(id, stage string) kafka.Message {
		return kafka.Message{Key: []byte("one-partition"), Value: []byte(`{"eventId":"` + id + `","eventType":"X"}`),
			Headers: []kafka.Header{{Key: "dlq.stage", Value: []byte(stage)}, {Key: "dlq.source.topic", Value: []byte("events")}}}
	}
	msgs := []kafka.Message{letter("a", "forward:fake"), letter("b", "forward:fake"), letter("c", "forward:other")}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	ends, err := endOffsets(context.Background(), &kafka.Client{Addr: kafka.TCP(brokers)}, dlqTopic)
	if err != nil {
		t.Fatal(err)
	}
	group := testkit.Name("replay")
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{brokers}, GroupID: group, GroupTopics: []string{dlqTopic},
		StartOffset: kafka.FirstOffset, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	src := &replaySource{r: r, ends: ends, stage: "forward:fake"}
	f := forwarder.New(forwarder.Config{Sink: "fake", DLQTopic: testkit.Name("dlq2"), BatchSize: 1, BatchWait: 20 * time.Millisecond,
		Logger: zerolog.Nop()}, src, &stepSink{}, func(d []byte, ev *transform.Event) []byte { return append(d, ev.Raw...) }, nil)
	if err := f.Run(context.Background()); !errors.Is(err, sinks.ErrAuth) {
		t.Fatalf("Run = %v, want the authentication error of the second batch", err)
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers)}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{dlqTopic: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.Topics[dlqTopic] {
		if p.CommittedOffset > 1 {
			t.Fatalf("partition %d committed up to %d: past the undelivered dead letter at offset 1", p.Partition, p.CommittedOffset)
		}
	}
}
