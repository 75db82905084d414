// Package publish writes records to Kafka with acknowledgement from every
// in-sync replica: extract's events and dead letters, detect's alerts and
// dead letters, forward's dead letters. The records are built by
// internal/record, which knows the topic contract; callers move their
// checkpoint (or commit, or mark alerts sent) only once Write has returned
// nil.
package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/record"
)

// ErrRecordTooLarge is returned by Write when the brokers refuse a single
// record as too large: KAFKA_MAX_MESSAGE_BYTES, which sized the records and
// batches, is above the brokers' limit. It is a misconfiguration: retrying
// cannot help and dead-lettering would not either (the dead letter is as
// large).
var ErrRecordTooLarge = errors.New("the brokers refused a single record as too large")

// Config configures a Publisher.
type Config struct {
	Brokers []string
	// Transport carries the connection settings (TLS, SASL, client ID);
	// nil connects in plain text.
	Transport *kafka.Transport
	// Compression is the codec of produced batches: none, gzip, snappy,
	// lz4 or zstd.
	Compression string
	// MaxMessageBytes is the largest record, and the largest batch, the
	// brokers accept (message.max.bytes, 1 MiB by default on Kafka); zero
	// means 1 MiB.
	MaxMessageBytes int
	// BatchTimeout bounds how long a partial batch waits before it is sent.
	// A synchronous write of one page waits for it, so keep it small.
	BatchTimeout time.Duration
	// BackoffMin and BackoffMax bound the jittered wait between attempts
	// while the brokers are unreachable.
	BackoffMin, BackoffMax time.Duration
	Logger                 zerolog.Logger
	// OnRetry, when set, is called once per failed attempt (for a metric).
	OnRetry func(err error)
}

// Publisher writes records synchronously. It is safe for concurrent use.
type Publisher struct {
	w            *kafka.Writer
	cfg          Config
	ownTransport bool // made by New: closed by Close
}

// New returns a Publisher. It does not connect until the first Write.
func New(cfg Config) (*Publisher, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("publish: no brokers")
	}
	codec, err := compression(cfg.Compression)
	if err != nil {
		return nil, err
	}
	// Zero or negative: the default.
	cfg.MaxMessageBytes = cmp.Or(max(cfg.MaxMessageBytes, 0), 1<<20)
	cfg.BatchTimeout = cmp.Or(max(cfg.BatchTimeout, 0), 2*time.Millisecond)
	cfg.BackoffMin = cmp.Or(max(cfg.BackoffMin, 0), 200*time.Millisecond)
	cfg.BackoffMax = cmp.Or(max(cfg.BackoffMax, 0), 10*time.Second)
	own := cfg.Transport == nil
	if own {
		cfg.Transport = &kafka.Transport{ClientID: "pigment"}
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...),
		// Murmur2 is the Java client's partitioner: other producers keyed by
		// actor put that actor's records on the same partition as we do.
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		MaxAttempts:  3,
		BatchSize:    1000,
		// A batch is one record set to the broker, refused whole above its
		// message.max.bytes: never build one above the records' own limit.
		BatchBytes:             int64(cfg.MaxMessageBytes),
		BatchTimeout:           cfg.BatchTimeout,
		Compression:            codec,
		AllowAutoTopicCreation: true,
		Transport:              cfg.Transport,
	}
	return &Publisher{w: w, cfg: cfg, ownTransport: own}, nil
}

// MaxMessageBytes is the record size above which events are dead-lettered.
func (p *Publisher) MaxMessageBytes() int { return p.cfg.MaxMessageBytes }

// Write writes every record and returns nil once all of them are
// acknowledged by all in-sync replicas. Records that fail are retried alone,
// with jittered backoff, for as long as ctx allows: a broker outage pauses
// the caller rather than failing it. Batches stay under MaxMessageBytes; a
// batch the brokers still refuse as too large (their limit is lower) is
// split in halves, down to single records. It returns an error only when ctx
// ends or the brokers refuse records for good (authorization, a single
// record too large); records may then have been written partly, so the
// caller must not checkpoint.
func (p *Publisher) Write(ctx context.Context, msgs []kafka.Message) error {
	pending := msgs
	for attempt := 1; ; attempt++ {
		err := p.w.WriteMessages(ctx, pending...)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("write %d records: %w", len(pending), ctx.Err())
		}
		pending = failed(pending, err)
		if tooLarge(err) {
			return p.split(ctx, pending, err)
		}
		if permanent(err) {
			return fmt.Errorf("write %d records: brokers refused them: %w", len(pending), summarize(err))
		}
		if p.cfg.OnRetry != nil {
			p.cfg.OnRetry(err)
		}
		wait := backoff.Jittered(attempt, p.cfg.BackoffMin, p.cfg.BackoffMax)
		p.cfg.Logger.Warn().Err(err).Int("records", len(pending)).Int("attempt", attempt).
			Dur("retry_in", wait).Msg("kafka write failed; retrying (checkpoint held)")
		if err := backoff.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("write %d records: %w", len(pending), err)
		}
	}
}

// failed returns the records of pending that err says were not written:
// all of them unless err lists them one by one.
func failed(pending []kafka.Message, err error) []kafka.Message {
	var werr kafka.WriteErrors
	if !errors.As(err, &werr) || len(werr) != len(pending) {
		return pending
	}
	out := pending[:0:0]
	for i, e := range werr {
		if e != nil {
			out = append(out, pending[i])
		}
	}
	return out
}

// split writes records the brokers refused as too large in two halves, in
// order, each retried (and split again) on its own. A single record cannot
// be split: the brokers' limit is below KAFKA_MAX_MESSAGE_BYTES, which sized
// it, and only the operator can fix that.
func (p *Publisher) split(ctx context.Context, refused []kafka.Message, err error) error {
	if len(refused) <= 1 {
		size := 0
		if len(refused) == 1 {
			size = record.Size(refused[0])
		}
		return fmt.Errorf("write a record of about %d bytes: %w: their limit (message.max.bytes, topic max.message.bytes) "+
			"is below KAFKA_MAX_MESSAGE_BYTES %d; set it to the brokers' limit: %w",
			size, ErrRecordTooLarge, p.cfg.MaxMessageBytes, summarize(err))
	}
	p.cfg.Logger.Warn().Int("records", len(refused)).Int("max_message_bytes", p.cfg.MaxMessageBytes).
		Msg("kafka refused a batch as too large; writing it in halves (the brokers' limit is below KAFKA_MAX_MESSAGE_BYTES)")
	if p.cfg.OnRetry != nil {
		p.cfg.OnRetry(err)
	}
	half := len(refused) / 2
	if err := p.Write(ctx, refused[:half]); err != nil {
		return err
	}
	return p.Write(ctx, refused[half:])
}

// tooLarge reports a refusal for size: the brokers', or the writer's own
// check of a single record against BatchBytes.
func tooLarge(err error) bool {
	var mtl kafka.MessageTooLargeError
	if errors.Is(err, kafka.MessageSizeTooLarge) || errors.Is(err, kafka.RecordListTooLarge) || errors.As(err, &mtl) {
		return true
	}
	var werr kafka.WriteErrors // does not unwrap to its elements
	if errors.As(err, &werr) {
		for _, e := range werr {
			if e != nil && tooLarge(e) {
				return true
			}
		}
	}
	return false
}

// summarize shortens a kafka.WriteErrors, which repeats one error per
// record, to its first error and counts.
func summarize(err error) error {
	var werr kafka.WriteErrors
	if !errors.As(err, &werr) {
		return err
	}
	var first error
	n := 0
	for _, e := range werr {
		if e != nil {
			n++
			if first == nil {
				first = e
			}
		}
	}
	if first == nil {
		return err
	}
	return fmt.Errorf("%d of %d records failed, the first with: %w", n, len(werr), first)
}

func compression(name string) (kafka.Compression, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("KAFKA_COMPRESSION %q: want none, gzip, snappy, lz4 or zstd", name)
}

// Close flushes and closes the writer.
//
// A transport the Publisher made itself (Config.Transport nil) is closed
// with it: a kafka-go Transport keeps its connections, and a goroutine per
// connection, until CloseIdleConnections. One passed in is the caller's.
func (p *Publisher) Close() error {
	err := p.w.Close()
	if p.ownTransport {
		p.cfg.Transport.CloseIdleConnections()
	}
	return err
}

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	for _, e := range []kafka.Error{
		kafka.MessageSizeTooLarge, kafka.TopicAuthorizationFailed,
		kafka.ClusterAuthorizationFailed, kafka.SASLAuthenticationFailed,
		kafka.InvalidTopic, kafka.RecordListTooLarge, kafka.InvalidRequiredAcks,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	var werr kafka.WriteErrors
	if errors.As(err, &werr) {
		for _, e := range werr {
			if e != nil && permanent(e) {
				return true
			}
		}
	}
	return false
}
