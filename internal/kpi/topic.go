package kpi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/event"
)

// TopicSource counts the events of the events topic, read whole from its
// first offset to the end it had when Counts began, with the batch
// consumer (internal/consumer) in a consumer group of its own that commits
// nothing: the source when there is no archive. Like the archive, it keeps
// each eventId once (the topic may hold one twice: extract's at-least-once)
// and event times to the microsecond.
type TopicSource struct {
	Brokers []string
	Topic   string
	// Dialer carries TLS, SASL and the client ID; nil dials in plain text.
	Dialer *kafka.Dialer
	Logger zerolog.Logger
}

var _ EventSource = TopicSource{}

// Name is "topic".
func (TopicSource) Name() string { return "topic" }

// Counts reads the topic and counts the events of each day of [from, to).
func (s TopicSource) Counts(ctx context.Context, from, to time.Time) ([]DayCounts, error) {
	if len(s.Brokers) == 0 {
		return nil, errNoBrokers
	}
	dialer := s.Dialer
	if dialer == nil {
		dialer = kafka.DefaultDialer
	}
	ends, err := s.endOffsets(ctx, dialer)
	if err != nil {
		return nil, err
	}
	t := newTally(from, to)
	if len(ends) == 0 {
		return t.counts(), nil
	}
	c, err := consumer.New(consumer.Config{Brokers: s.Brokers, GroupID: "pigment-kpi-" + randomSuffix(),
		Topics: []string{s.Topic}, Dialer: dialer, Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("read topic %s: %w", s.Topic, err)
	}
	defer c.Close()
	for len(ends) > 0 {
		msgs, err := c.Fetch(ctx)
		if err != nil {
			return nil, fmt.Errorf("read topic %s: %w", s.Topic, err)
		}
		for _, m := range msgs {
			t.add(m.Value)
		}
		if last := msgs[len(msgs)-1]; last.Offset+1 >= ends[last.Partition] {
			delete(ends, last.Partition)
		}
	}
	return t.counts(), nil
}

// endOffsets returns, for each partition of the topic holding records,
// the offset after its last one.
func (s TopicSource) endOffsets(ctx context.Context, dialer *kafka.Dialer) (map[int]int64, error) {
	var parts []kafka.Partition
	var err error
	for _, b := range s.Brokers {
		if parts, err = dialer.LookupPartitions(ctx, "tcp", b, s.Topic); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("partitions of topic %s: %w", s.Topic, err)
	}
	ends := map[int]int64{}
	for _, p := range parts {
		conn, err := dialer.DialLeader(ctx, "tcp", fmt.Sprintf("%s:%d", p.Leader.Host, p.Leader.Port), s.Topic, p.ID)
		if err != nil {
			return nil, fmt.Errorf("end of %s/%d: %w", s.Topic, p.ID, err)
		}
		first, last, err := conn.ReadOffsets()
		conn.Close()
		if err != nil {
			return nil, fmt.Errorf("end of %s/%d: %w", s.Topic, p.ID, err)
		}
		if last > first {
			ends[p.ID] = last
		}
	}
	return ends, nil
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// tally counts events into days, as ArchiveSource's query does.
type tally struct {
	from    time.Time
	days    []DayCounts
	members []map[string]struct{}
	seen    map[string]struct{} // eventId and ingestion time: the archive's key
}

func newTally(from, to time.Time) *tally {
	t := &tally{from: from, seen: map[string]struct{}{}}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		t.days = append(t.days, DayCounts{Day: d})
		t.members = append(t.members, map[string]struct{}{})
	}
	return t
}

// add counts one record: one that is not an event, has no event time, or
// falls outside the days is left out, as it is by the archive's query.
func (t *tally) add(raw []byte) {
	ev, err := event.Parse(raw, event.KindEvent)
	if err != nil || ev.Time.IsZero() {
		return
	}
	at := ev.Time.Round(time.Microsecond) // Postgres keeps microseconds, rounding
	if at.Before(t.from) {
		return
	}
	i := int(at.Sub(t.from) / (24 * time.Hour))
	if i >= len(t.days) {
		return
	}
	key := ev.ID + "\x00" + ingestionKey(ev)
	if _, dup := t.seen[key]; dup {
		return
	}
	t.seen[key] = struct{}{}
	c := &t.days[i]
	c.Events++
	login := slices.Contains(TypesLogin, ev.Type)
	switch {
	case login:
		c.LoginAttempts++
		if ev.Outcome == "failure" {
			c.FailedLogins++
		} else if k := ev.ActorKey(); k != "" {
			t.members[i][k] = struct{}{}
		}
	case slices.Contains(TypesChange, ev.Type):
		c.Changes++
	case slices.Contains(TypesSecurity, ev.Type):
		c.SecurityEvents++
	case slices.Contains(TypesOperation, ev.Type) && ev.Outcome != "":
		c.Operations++
		if ev.Outcome == "failure" {
			c.FailedOperations++
		}
	}
}

// ingestionKey is the archive's ingestion_time of ev: its ingestion time,
// else its event time, to the microsecond.
func ingestionKey(ev event.Event) string {
	at := ev.Ingested
	if at.IsZero() {
		at = ev.Time
	}
	return at.Round(time.Microsecond).UTC().Format(time.RFC3339Nano)
}

func (t *tally) counts() []DayCounts {
	for i := range t.days {
		t.days[i].ActiveMembers = int64(len(t.members[i]))
	}
	return t.days
}

// errNoBrokers is returned by a TopicSource without brokers.
var errNoBrokers = errors.New("kpi: topic source without brokers")
