package forwarder_test

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
)

// stepSink delivers the first batch slowly; with fail, it then refuses
// the credentials.
type stepSink struct {
	fail  bool
	sends int
}

func (s *stepSink) Send(_ context.Context, recs [][]byte, _ []string) ([]sinks.Result, error) {
	if s.sends++; s.sends > 1 && s.fail {
		return nil, fmt.Errorf("hec: 401: %w", sinks.ErrAuth)
	}
	if s.sends == 1 {
		time.Sleep(300 * time.Millisecond) // fetching goes on meanwhile
	}
	return make([]sinks.Result, len(recs)), nil
}

// replayDead writes dead letters (stage "forward:fake" or another) to one
// partition of a fresh DLQ topic, replays it through sink as replay-dlq
// does, one record per batch, and returns the group's committed offset and
// Run's error.
func replayDead(t *testing.T, sink forwarder.Sink, stages ...string) (int64, error) {
	t.Helper()
	_, brokers := testkit.MustKafka(t)
	dlqTopic := testkit.Name("dlq")
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: dlqTopic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	defer w.Close()
	var msgs []kafka.Message
	for i, stage := range stages {
		msgs = append(msgs, kafka.Message{Key: []byte("one-partition"), Value: []byte(fmt.Sprintf(`{"eventId":"e%d","eventType":"X"}`, i)),
			Headers: []kafka.Header{{Key: "dlq.stage", Value: []byte(stage)}, {Key: "dlq.source.topic", Value: []byte("events")}}})
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers)}
	group := testkit.Name("replay")
	rng, err := forwarder.ReadDLQRange(context.Background(), c, group, dlqTopic)
	if err != nil {
		t.Fatal(err)
	}
	cons := setup{brokers: brokers, topic: dlqTopic, group: group}.consumer(t) // as forward run does
	defer cons.Close()
	src := forwarder.NewReplay(cons, dlqTopic, "forward:fake", rng)
	f := forwarder.New(forwarder.Config{Sink: "fake", DLQTopic: testkit.Name("dlq2"), BatchSize: 1, BatchWait: 20 * time.Millisecond,
		Logger: zerolog.Nop()}, src, sink, rawFormat, nil)
	runErr := f.Run(context.Background())
	if errors.Is(runErr, forwarder.ErrEndOfDLQ) {
		runErr = src.CommitSkipped(context.Background())
	}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{dlqTopic: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	for _, p := range resp.Topics[dlqTopic] {
		committed = max(committed, p.CommittedOffset)
	}
	return committed, runErr
}

// A dead letter of another stage read while an earlier batch is being
// delivered must not be committed with it: its offset would pass this
// sink's records fetched in between, not yet delivered, and a crash then
// would lose them.
func TestReplayCommitsNoSkippedRecordPastAnUndeliveredOne(t *testing.T) {
	t.Parallel()
	committed, err := replayDead(t, &stepSink{fail: true}, "forward:fake", "forward:fake", "forward:other")
	if !errors.Is(err, sinks.ErrAuth) {
		t.Fatalf("Run = %v, want the authentication error of the second batch", err)
	}
	if committed > 1 {
		t.Fatalf("committed up to %d: past the undelivered dead letter at offset 1", committed)
	}
}

// At the end of a replay, the other stages' records past this sink's last
// one are committed, and one before it does not move the group back.
func TestReplayCommitsSkippedRecordsAtTheEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		stages []string
		want   int64
	}{
		{[]string{"forward:other", "forward:fake"}, 2},                  // skipped one first: no step back to 1
		{[]string{"forward:fake", "forward:other", "forward:other"}, 3}, // trailing skipped ones committed
	} {
		committed, err := replayDead(t, &stepSink{}, tc.stages...)
		if err != nil {
			t.Fatal(err)
		}
		if committed != tc.want {
			t.Errorf("stages %v: committed %d, want %d", tc.stages, committed, tc.want)
		}
	}
}
