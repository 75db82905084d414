package forwarder

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/record"
)

// ErrEndOfDLQ ends a replay: every dead letter present at its start was
// read. Run returns it once every batch was delivered and committed.
var ErrEndOfDLQ = errors.New("end of the dead-letter topic")

// DLQRange is the part of the dead-letter topic a replay reads, per
// partition: from Starts (the replay group's committed offset, else the
// first offset kept; absent means 0) up to Ends (the next offset to be
// written when the replay started), so that records it refuses again, and
// writes back to the topic, are not read in the same pass.
type DLQRange struct {
	Starts, Ends map[int]int64
}

// ReadDLQRange reads the range a replay by group reads of topic now; an
// empty one if the topic does not exist.
func ReadDLQRange(ctx context.Context, c *kafka.Client, group, topic string) (DLQRange, error) {
	ends, err := endOffsets(ctx, c, topic)
	if err != nil {
		return DLQRange{}, err
	}
	starts, err := startOffsets(ctx, c, group, topic, ends)
	if err != nil {
		return DLQRange{}, err
	}
	return DLQRange{Starts: starts, Ends: ends}, nil
}

// Empty reports whether there is nothing to read: checked before reading,
// since a consumer with nothing to read waits for the next dead letter,
// however long that takes.
func (r DLQRange) Empty() bool {
	for p, end := range r.Ends {
		if r.Starts[p] < end {
			return false
		}
	}
	return true
}

// Replay is the source of forward replay-dlq: it reads the dead-letter
// topic through src (the replay group's consumer) within a DLQRange and
// hands over the records of one stage (this sink's), restored to their
// source topic. Records of other stages are skipped; they are committed
// only by CommitSkipped once the replay is over, since the forwarder
// commits each batch after delivering it while fetching goes on ahead, and
// committing a skipped record's offset with an earlier batch could pass
// records not yet delivered. Records past the range are neither handed
// over nor committed. Fetch and Commit may be called from different
// goroutines, as the forwarder does; CommitSkipped and Counts only once
// Run returned.
type Replay struct {
	src   source
	topic string // the dead-letter topic, whose offsets are committed
	stage string
	rng   DLQRange
	// seen is the offset of the last record read per partition (start-1
	// before any).
	seen              map[int]int64
	replayed, skipped int
	pendingSkip       []kafka.Message
	committed         map[int]int64 // highest DLQ offset committed, per partition
}

// NewReplay returns the Replay of the dead letters of stage in rng of topic,
// read through src.
func NewReplay(src source, topic, stage string, rng DLQRange) *Replay {
	seen := map[int]int64{}
	for p := range rng.Ends {
		seen[p] = rng.Starts[p] - 1
	}
	return &Replay{src: src, topic: topic, stage: stage, rng: rng, seen: seen, committed: map[int]int64{}}
}

// done reports whether every partition was read up to its end at start.
// end is the next offset to be written: a partition holding one record at
// offset 0 has end 1, and is done once offset 0 was read.
func (r *Replay) done() bool {
	for p, end := range r.rng.Ends {
		if r.seen[p]+1 < end {
			return false
		}
	}
	return true
}

// Fetch returns the next records of this stage; ErrEndOfDLQ once every
// partition was read to its end.
func (r *Replay) Fetch(ctx context.Context) ([]kafka.Message, error) {
	for {
		if r.done() {
			return nil, ErrEndOfDLQ
		}
		msgs, err := r.src.Fetch(ctx)
		if err != nil {
			return nil, err
		}
		var out []kafka.Message
		for _, m := range msgs {
			r.seen[m.Partition] = m.Offset
			end, ok := r.rng.Ends[m.Partition]
			switch {
			case !ok || m.Offset >= end:
				// Written since the start (refused again, say): the next replay's.
			case record.Header(m, record.HeaderDLQStage) != r.stage:
				r.skipped++
				r.pendingSkip = append(r.pendingSkip, m)
			default:
				r.replayed++
				m.Topic = record.Header(m, record.HeaderDLQSourceTopic)
				out = append(out, m)
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
}

// Commit commits the DLQ offsets of the delivered records (their Topic was
// restored to the source; the offsets are the DLQ's).
func (r *Replay) Commit(ctx context.Context, msgs ...kafka.Message) error {
	dlq := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		dlq[i] = kafka.Message{Topic: r.topic, Partition: m.Partition, Offset: m.Offset}
	}
	if err := r.src.Commit(ctx, dlq...); err != nil {
		return err
	}
	for _, m := range msgs {
		if c, ok := r.committed[m.Partition]; !ok || m.Offset > c {
			r.committed[m.Partition] = m.Offset
		}
	}
	return nil
}

// CommitSkipped commits the records of other stages that lie past this
// stage's last committed one in their partition (committing one before it
// would move the group back); call it only once Run returned ErrEndOfDLQ,
// every batch committed.
func (r *Replay) CommitSkipped(ctx context.Context) error {
	var past []kafka.Message
	for _, m := range r.pendingSkip {
		if c, ok := r.committed[m.Partition]; !ok || m.Offset > c {
			past = append(past, m)
		}
	}
	r.pendingSkip = nil
	if len(past) == 0 {
		return nil
	}
	return r.src.Commit(ctx, past...)
}

// Counts returns the records of this stage handed over and those of other
// stages skipped.
func (r *Replay) Counts() (replayed, skipped int) { return r.replayed, r.skipped }

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
