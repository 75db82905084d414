package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/record"
)

// replayDLQ delivers again, through this sink, the dead letters this sink
// refused ("dlq.stage: forward:<sink>"), once their cause is fixed. It reads
// the DLQ with its own consumer group up to the end offsets seen at start,
// so records it refuses again (and writes back to the DLQ) are not read in
// the same pass; it commits what it handled and exits.
func (a *app) replayDLQ(ctx context.Context, out io.Writer) error {
	s, format, err := a.newSink()
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	defer closeSink(s)
	brokers := a.brokers()
	admin, err := a.admin(brokers)
	if err != nil {
		return err
	}
	ends, err := endOffsets(ctx, admin, a.cfg.DLQTopic)
	if err != nil {
		return err
	}
	group := a.cfg.GroupID + "-replay"
	starts, err := startOffsets(ctx, admin, group, a.cfg.DLQTopic, ends)
	if err != nil {
		return err
	}
	r, err := a.reader(brokers, group, []string{a.cfg.DLQTopic})
	if err != nil {
		return err
	}
	defer r.Close()
	dlq, closeDLQ, err := a.dlqWriter(brokers)
	if err != nil {
		return err
	}
	defer closeDLQ()

	src := &replaySource{r: r, ends: ends, starts: starts, stage: record.StageForward(a.cfg.Sink)}
	if src.done() {
		// Checked before reading: a reader with nothing to read would wait
		// for the next dead letter, however long that takes.
		fmt.Fprintln(out, "nothing to replay: no dead letter past those already replayed")
		return nil
	}
	cfg := a.forwarderConfig(nil)
	cfg.BatchWait = 50 * time.Millisecond
	if err := forwarder.New(cfg, src, s, format, dlq).Run(ctx); !errors.Is(err, errEndOfDLQ) {
		return err
	}
	// Every batch was delivered and committed: the records of other
	// stages read after the last one can be committed too.
	if err := src.commitSkipped(ctx); err != nil {
		return fmt.Errorf("commit the dead letters of other stages: %w", err)
	}
	fmt.Fprintf(out, "replayed %d dead letters of %s (%d of other stages left alone)\n", src.replayed, a.cfg.Sink, src.skipped)
	return nil
}

// errEndOfDLQ ends a replay: every record present at its start was read.
var errEndOfDLQ = errors.New("end of the dead-letter topic")

// replaySource reads the DLQ up to the offsets that were its end at start
// and hands over this sink's records restored to their source topic.
// Records of other stages are skipped; they are committed only once the
// replay is over, since the forwarder commits each batch after delivering
// it while fetching goes on ahead, and committing a skipped record's offset
// with an earlier batch could pass records not yet delivered.
type replaySource struct {
	r    *kafka.Reader
	ends map[int]int64
	// starts is where the replay group begins in each partition (its
	// committed offset, else the first offset kept); absent means 0.
	starts            map[int]int64
	stage             string
	seen              map[int]int64 // offset of the last record read (start-1 before any)
	replayed, skipped int
	pendingSkip       []kafka.Message
	committed         map[int]int64 // highest DLQ offset committed, per partition
}

// done reports whether every partition was read up to its end at start.
// end is the next offset to be written: a partition holding one record at
// offset 0 has end 1, and is done once offset 0 was read.
func (s *replaySource) done() bool {
	s.init()
	for p, end := range s.ends {
		if s.seen[p]+1 < end {
			return false
		}
	}
	return true
}

func (s *replaySource) init() {
	if s.seen != nil {
		return
	}
	s.seen = map[int]int64{}
	for p := range s.ends {
		s.seen[p] = s.starts[p] - 1
	}
}

// Fetch returns the next record of this sink, one at a time.
func (s *replaySource) Fetch(ctx context.Context) ([]kafka.Message, error) {
	m, err := s.next(ctx)
	if err != nil {
		return nil, err
	}
	return []kafka.Message{m}, nil
}

func (s *replaySource) next(ctx context.Context) (kafka.Message, error) {
	for {
		if s.done() {
			return kafka.Message{}, errEndOfDLQ
		}
		m, err := s.r.FetchMessage(ctx)
		if err != nil {
			return m, err
		}
		s.seen[m.Partition] = m.Offset
		if record.Header(m, record.HeaderDLQStage) != s.stage {
			s.skipped++
			s.pendingSkip = append(s.pendingSkip, m)
			continue
		}
		s.replayed++
		m.Topic = record.Header(m, record.HeaderDLQSourceTopic)
		return m, nil
	}
}

// Commit commits the DLQ offsets of the delivered records (their Topic was
// restored to the source; the offsets are the DLQ's).
func (s *replaySource) Commit(ctx context.Context, msgs ...kafka.Message) error {
	dlq := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		dlq[i] = kafka.Message{Topic: s.r.Config().GroupTopics[0], Partition: m.Partition, Offset: m.Offset}
	}
	if err := s.r.CommitMessages(ctx, dlq...); err != nil {
		return err
	}
	if s.committed == nil {
		s.committed = map[int]int64{}
	}
	for _, m := range msgs {
		if c, ok := s.committed[m.Partition]; !ok || m.Offset > c {
			s.committed[m.Partition] = m.Offset
		}
	}
	return nil
}

// commitSkipped commits the records of other stages that lie past this
// sink's last committed one in their partition (committing one before it
// would move the group back); call it only once fetching is over and every
// batch is committed.
func (s *replaySource) commitSkipped(ctx context.Context) error {
	var past []kafka.Message
	for _, m := range s.pendingSkip {
		if c, ok := s.committed[m.Partition]; !ok || m.Offset > c {
			past = append(past, m)
		}
	}
	s.pendingSkip = nil
	if len(past) == 0 {
		return nil
	}
	return s.r.CommitMessages(ctx, past...)
}

// endOffsets returns each partition's end offset (the next offset to be
// written) of topic; none if the topic does not exist.
func endOffsets(ctx context.Context, c *kafka.Client, topic string) (map[int]int64, error) {
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	var reqs []kafka.OffsetRequest
	for _, t := range meta.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				return map[int]int64{}, nil
			}
			return nil, fmt.Errorf("metadata of %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			reqs = append(reqs, kafka.LastOffsetOf(p.ID))
		}
	}
	resp, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	ends := map[int]int64{}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("end offset of %s/%d: %w", topic, p.Partition, p.Error)
		}
		ends[p.Partition] = p.LastOffset
	}
	return ends, nil
}

// startOffsets returns, for each partition of ends, the offset where the
// replay group starts reading topic: its committed offset, or the first
// offset the partition still holds when it has none (or retention deleted
// past it).
func startOffsets(ctx context.Context, c *kafka.Client, group, topic string, ends map[int]int64) (map[int]int64, error) {
	starts := map[int]int64{}
	if len(ends) == 0 {
		return starts, nil
	}
	var parts []int
	var reqs []kafka.OffsetRequest
	for p := range ends {
		parts = append(parts, p)
		reqs = append(reqs, kafka.FirstOffsetOf(p))
	}
	first, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("first offsets of %s: %w", topic, err)
	}
	for _, p := range first.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("first offset of %s/%d: %w", topic, p.Partition, p.Error)
		}
		starts[p.Partition] = p.FirstOffset
	}
	resp, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	if resp.Error != nil && !errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return nil, fmt.Errorf("offsets of group %s: %w", group, resp.Error)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("offset of group %s in %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		starts[p.Partition] = max(starts[p.Partition], p.CommittedOffset)
	}
	return starts, nil
}
