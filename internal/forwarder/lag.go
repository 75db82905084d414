package forwarder

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Lag is the number of records of topics not yet committed by group: the
// sum over partitions of the end offset minus the committed one (a
// partition never committed counts from its first offset).
func Lag(ctx context.Context, c *kafka.Client, group string, topics []string) (int64, error) {
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	parts := map[string][]int{}
	reqs := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if t.Error != nil {
			continue // not created yet: nothing to lag behind
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
			reqs[t.Name] = append(reqs[t.Name], kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	if len(parts) == 0 {
		return 0, nil
	}
	ends, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: reqs})
	if err != nil {
		return 0, fmt.Errorf("list offsets: %w", err)
	}
	committed, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err != nil {
		return 0, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	done := map[string]map[int]int64{}
	for topic, ps := range committed.Topics {
		done[topic] = map[int]int64{}
		for _, p := range ps {
			done[topic][p.Partition] = p.CommittedOffset
		}
	}
	var lag int64
	for topic, ps := range ends.Topics {
		for _, p := range ps {
			from := p.FirstOffset
			if c, ok := done[topic][p.Partition]; ok && c >= 0 {
				from = max(c, p.FirstOffset)
			}
			lag += max(p.LastOffset-from, 0)
		}
	}
	return lag, nil
}

// WatchLag sets the consumer-lag gauge every interval until ctx ends.
func (m *Metrics) WatchLag(ctx context.Context, c *kafka.Client, sink, group string, topics []string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		lctx, cancel := context.WithTimeout(ctx, every)
		if lag, err := Lag(lctx, c, group, topics); err == nil {
			m.Lag.WithLabelValues(sink).Set(float64(lag))
		}
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
