// Package consumer reads the partitions a Kafka consumer group assigns to
// this member, in the batches the brokers return, and commits offsets
// through the group. Every group reader of the programs is one: forward
// run's, and replay-dlq's on the dead-letter topic. detect reads no group:
// it reads explicit partitions from offsets it keeps in Postgres
// (internal/detector's package doc says why).
//
// It exists for speed. kafka-go's Reader hands records over one at a time,
// through a channel, with a read deadline, statistics and two lock round
// trips per record; forwarding spent about a sixth of its CPU there. The
// group protocol (joining, heartbeats, assignment, partition watching,
// commits) is still kafka-go's ConsumerGroup; this package only reads each
// assigned partition and hands the records over in chunks.
//
// It reads Fetch answers itself, too. kafka-go's Batch.ReadMessage
// allocates every key, value and header and reads varints through a
// bufio.Reader; its LZ4 reader decompresses through a growing bytes.Buffer:
// about 1.8µs per record, most of the CPU forward may spend per event. Here
// each partition's leader is dialed by kafka-go (metadata, TLS, SASL) with a
// DialFunc that keeps the network connection; Fetch v4 requests go on it
// directly, one at a time, and each record batch of the answer is read
// whole, its CRC-32C checked, decompressed into a reused buffer and copied
// into one allocation per batch that the records' keys, values and header
// values alias (an uncompressed batch is read straight into it). Headers
// come from one slab per batch, their keys interned. kafka-go's Conn still
// answers ListOffsets between fetches, and reads the message sets of
// topics written before Kafka 0.11 (magic 0 and 1) when a fetch meets one:
// that connection then stays on kafka-go's path. Control batches
// (transaction markers) are skipped; a corrupt batch ends the connection
// and is fetched again, never skipped.
package consumer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
)

// Config says which group and topics to read.
type Config struct {
	Brokers []string
	GroupID string
	Topics  []string
	// Dialer carries TLS, SASL and the client ID.
	Dialer *kafka.Dialer
	// SessionTimeout is how soon the group notices a dead member (and
	// the rebalance timeout); default 10s.
	SessionTimeout time.Duration
	// WatchPartitionChanges rebalances when a topic gains partitions.
	WatchPartitionChanges bool
	// MaxBytes bounds one fetch (default 16 MiB), except for a record
	// batch larger than it, which is fetched whole; MaxWait is how long
	// the broker may wait for records before answering (default 250ms).
	MaxBytes int
	MaxWait  time.Duration
	// ChunkSize is the most records handed over at once (default 500).
	ChunkSize int
	Logger    zerolog.Logger
}

// Consumer is one member of the group. Fetch and Commit may be called from
// different goroutines.
type Consumer struct {
	cfg    Config
	group  *kafka.ConsumerGroup
	out    chan []kafka.Message
	gen    atomic.Pointer[kafka.Generation]
	cancel context.CancelFunc
	done   chan struct{}
}

// New joins the group in the background and starts reading; records are
// read from the group's committed offsets, or from the first offset of a
// partition never committed.
func New(cfg Config) (*Consumer, error) {
	// Zero or negative: the default.
	cfg.SessionTimeout = cmp.Or(max(cfg.SessionTimeout, 0), 10*time.Second)
	cfg.MaxBytes = cmp.Or(max(cfg.MaxBytes, 0), 16<<20)
	cfg.MaxWait = cmp.Or(max(cfg.MaxWait, 0), 250*time.Millisecond)
	cfg.ChunkSize = cmp.Or(max(cfg.ChunkSize, 0), 500)
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: cfg.GroupID, Brokers: cfg.Brokers, Dialer: cfg.Dialer, Topics: cfg.Topics,
		WatchPartitionChanges: cfg.WatchPartitionChanges,
		SessionTimeout:        cfg.SessionTimeout, RebalanceTimeout: cfg.SessionTimeout,
		StartOffset: kafka.FirstOffset,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) { cfg.Logger.Warn().Msgf("kafka group: "+msg, args...) }),
	})
	if err != nil {
		return nil, fmt.Errorf("consumer group %s: %w", cfg.GroupID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Consumer{cfg: cfg, group: group, out: make(chan []kafka.Message, 4), cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

// Fetch returns the next records of one partition, in offset order, waiting
// until some arrive or ctx ends. Records of a partition this member lost in
// a rebalance may still come (they were read before it); committing them is
// harmless, and the new owner reads them again.
func (c *Consumer) Fetch(ctx context.Context) ([]kafka.Message, error) {
	select {
	case msgs := <-c.out:
		return msgs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, errors.New("consumer closed")
	}
}

// Commit commits, for each partition of msgs, the offset after its last
// record, through the current generation of the group. The context is not
// used: kafka-go's generation commit has no context and is bounded by the
// group's own network timeout (5s).
func (c *Consumer) Commit(_ context.Context, msgs ...kafka.Message) error {
	gen := c.gen.Load()
	if gen == nil {
		return errors.New("commit: not a member of the group yet")
	}
	offsets := map[string]map[int]int64{}
	for _, m := range msgs {
		t := offsets[m.Topic]
		if t == nil {
			t = map[int]int64{}
			offsets[m.Topic] = t
		}
		t[m.Partition] = max(t[m.Partition], m.Offset+1)
	}
	if err := gen.CommitOffsets(offsets); err != nil {
		return fmt.Errorf("commit offsets of group %s: %w", c.cfg.GroupID, err)
	}
	return nil
}

// Close leaves the group and stops reading.
func (c *Consumer) Close() error {
	c.cancel()
	err := c.group.Close()
	<-c.done
	return err
}

// run follows the group's generations, reading the partitions each one
// assigns. A generation ends at a rebalance; its readers stop within
// MaxWait, and kafka-go joins the next one.
func (c *Consumer) run(ctx context.Context) {
	defer close(c.done)
	for {
		gen, err := c.group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
				return
			}
			c.cfg.Logger.Warn().Err(err).Str("group", c.cfg.GroupID).Msg("joining the consumer group failed; retrying")
			continue // kafka-go backs off before the next attempt
		}
		c.gen.Store(gen)
		for topic, parts := range gen.Assignments {
			for _, p := range parts {
				gen.Start(func(gctx context.Context) { c.readPartition(gctx, topic, p.ID, p.Offset) })
			}
		}
	}
}

// readPartition reads one partition from offset until ctx ends, through
// reconnections: it must not return before, since kafka-go ends the whole
// generation when one of its functions does.
func (c *Consumer) readPartition(ctx context.Context, topic string, partition int, offset int64) {
	log := c.cfg.Logger.With().Str("topic", topic).Int("partition", partition).Logger()
	for failures := 0; ctx.Err() == nil; {
		pc, err := c.dialLeader(ctx, topic, partition)
		if err == nil {
			var progressed bool
			stop := pc.closeWhenDone(ctx)
			offset, progressed, err = c.read(ctx, pc, offset, log)
			stop()
			pc.Close()
			if progressed {
				failures = 0
			}
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := backoff.Jittered(failures, 100*time.Millisecond, 10*time.Second)
		log.Warn().Err(err).Int64("offset", offset).Dur("retry_in", wait).Msg("reading the partition failed; reconnecting")
		_ = backoff.Sleep(ctx, wait) // a generation's end is checked by the loop
	}
}

// maxFetchBytes bounds the doubling of max_bytes for a batch larger than
// it (brokers since KIP-74 send such a batch whole anyway).
const maxFetchBytes = 1 << 30

// read fetches from offset until ctx ends or the connection fails, and
// returns the offset to resume at and whether it advanced.
func (c *Consumer) read(ctx context.Context, pc *partConn, offset int64, log zerolog.Logger) (int64, bool, error) {
	offset, err := c.position(ctx, pc.conn, offset, log)
	if err != nil {
		return offset, false, err
	}
	progressed, maxBytes := false, c.cfg.MaxBytes
	out := &chunker{size: c.cfg.ChunkSize, send: func(chunk []kafka.Message) bool { return c.send(ctx, chunk) }}
	for ctx.Err() == nil {
		if pc.legacy {
			var legacyProgressed bool
			offset, legacyProgressed, err = c.readLegacy(ctx, pc.conn, offset, out, log)
			progressed = progressed || legacyProgressed
			if err != nil {
				return offset, progressed, err
			}
			continue
		}
		res, err := pc.fetch(offset, maxBytes, c.cfg.MaxWait, out)
		// The records of the whole batches read, even before an error:
		// the next fetch starts after them.
		if !out.flush() {
			return offset, progressed, ctx.Err()
		}
		if res.next > offset {
			offset, progressed = res.next, true
		}
		if err != nil {
			return offset, progressed, err
		}
		switch {
		case res.errCode == 0:
		case kafka.Error(res.errCode) == kafka.OffsetOutOfRange:
			if offset, err = c.position(ctx, pc.conn, offset, log); err != nil {
				return offset, progressed, err
			}
			continue
		default:
			return offset, progressed, kafka.Error(res.errCode) // the leader moved: reconnect
		}
		grown, err := nextMaxBytes(res, maxBytes, c.cfg.MaxBytes)
		if err != nil {
			return offset, progressed, fmt.Errorf("the batch at offset %d: %w", offset, err)
		}
		if grown > maxBytes {
			log.Warn().Int64("offset", offset).Int("max_bytes", grown).Msg("a record batch is larger than a fetch's max bytes; doubling them")
		}
		maxBytes = grown
	}
	return offset, progressed, ctx.Err()
}

// nextMaxBytes is the max_bytes of the next fetch after one with maxBytes
// answered res: doubled when the answer held part of a batch only (a
// broker before KIP-74 cuts a batch larger than max_bytes), up to
// maxFetchBytes; back to the configured ones once records came.
func nextMaxBytes(res fetched, maxBytes, configured int) (int, error) {
	switch {
	case res.truncated && maxBytes >= maxFetchBytes:
		return maxBytes, fmt.Errorf("larger than %d bytes, the most one fetch may ask for", maxFetchBytes)
	case res.truncated:
		return min(2*maxBytes, maxFetchBytes), nil
	case res.records > 0:
		return configured, nil
	}
	return maxBytes, nil
}

// readLegacy reads from offset with kafka-go's Conn, which decodes the
// message sets of topics written before Kafka 0.11 (magic 0 and 1), one
// fetch, handing the records over through out.
func (c *Consumer) readLegacy(ctx context.Context, conn *kafka.Conn, offset int64, out *chunker, log zerolog.Logger) (int64, bool, error) {
	progressed := false
	if _, err := conn.Seek(offset, kafka.SeekAbsolute|kafka.SeekDontCheck); err != nil {
		return offset, progressed, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(c.cfg.MaxWait + 30*time.Second))
	batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: c.cfg.MaxBytes, MaxWait: c.cfg.MaxWait})
	for {
		m, err := batch.ReadMessage()
		if err != nil {
			break
		}
		*out.slot() = m
		offset, progressed = m.Offset+1, true
		if out.keep() && !out.flush() {
			batch.Close()
			return offset, progressed, ctx.Err()
		}
	}
	err := batch.Close()
	if !out.flush() {
		return offset, progressed, ctx.Err()
	}
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, kafka.RequestTimedOut):
	case errors.Is(err, kafka.OffsetOutOfRange):
		if offset, err = c.position(ctx, conn, offset, log); err != nil {
			return offset, progressed, err
		}
	default:
		return offset, progressed, err // the leader moved, the connection broke: reconnect
	}
	return offset, progressed, nil
}

// position resolves offset against the partition's first and last offsets.
// Before the first (records deleted by retention before they were read): the
// first, loudly, since they are gone. Past the last: wait a second for
// records, as the end may be behind after a leader change.
func (c *Consumer) position(ctx context.Context, conn *kafka.Conn, offset int64, log zerolog.Logger) (int64, error) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer conn.SetDeadline(time.Time{})
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return offset, err
	}
	switch {
	case offset == kafka.FirstOffset:
		return first, nil
	case offset == kafka.LastOffset:
		return last, nil
	case offset < first:
		log.Error().Int64("from", offset).Int64("to", first).
			Msg("records deleted by retention before they were read: they can no longer be delivered; continuing at the first one left")
		return first, nil
	case offset > last:
		log.Warn().Int64("offset", offset).Int64("end", last).Msg("committed offset past the partition's end; waiting for records")
		_ = backoff.Sleep(ctx, time.Second) // a generation's end is checked by the caller
	}
	return offset, nil
}

// send hands a chunk over; false when ctx ended first.
func (c *Consumer) send(ctx context.Context, chunk []kafka.Message) bool {
	select {
	case c.out <- chunk:
		return true
	case <-ctx.Done():
		return false
	}
}
