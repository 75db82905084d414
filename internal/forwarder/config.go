package forwarder

import (
	"cmp"
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/sinks"
)

// Sink delivers formatted records and says what became of each one.
type Sink interface {
	Send(ctx context.Context, records [][]byte, ids []string) ([]sinks.Result, error)
}

// Format renders one parsed record for the sink, appending to dst.
type Format func(dst []byte, ev *event.Event) []byte

// source is the consumer-group reader as the forwarder uses it: records in
// chunks (each in offset order within its partition), offsets committed
// explicitly. forward run uses internal/consumer; replay-dlq a Replay over
// one, on the dead-letter topic.
type source interface {
	Fetch(ctx context.Context) ([]kafka.Message, error)
	Commit(ctx context.Context, msgs ...kafka.Message) error
}

// deadLetters writes refused records; nil error means Kafka acknowledged.
type deadLetters interface {
	Write(ctx context.Context, msgs []kafka.Message) error
}

// Config says what a Forwarder reads and how it batches.
type Config struct {
	Sink        string // "splunk", "elastic", "syslog", "file": in DLQ headers and metrics
	AlertsTopic string // records of this topic are parsed as alerts
	DLQTopic    string
	// DLQMaxBytes is the largest record the dead-letter topic takes
	// (KAFKA_MAX_MESSAGE_BYTES, default 1,000,000): a larger dead letter
	// is cut to fit and flagged dlq.truncated, with dlq.originalSize.
	DLQMaxBytes int
	BatchSize   int           // records per batch (default 1000)
	BatchBytes  int           // formatted bytes per batch (default 4 MiB)
	BatchWait   time.Duration // longest wait to fill a batch (default 200ms)
	RetryMin    time.Duration // backoff bounds while the sink says retry (default 200ms, 30s)
	RetryMax    time.Duration
	// Senders is how many batches may be in delivery at once (default 1).
	// More keep an HTTP sink busy while one batch waits for its answer (or
	// its indexer acknowledgement); batches may then reach the sink out of
	// order, and up to Senders+5 batches are held in memory (one filling,
	// one formatting, two in hand-over queues, one waiting for a sender).
	Senders int
	// AckPendingBytes, when > 0, lets a batch the sink accepted but has not
	// confirmed yet (an HEC indexer acknowledgement pending) leave its
	// sender: batches sent and not yet confirmed are then bounded by their
	// bytes (formatted records plus the Kafka values), not by Senders, and
	// a confirmed batch waiting for an earlier one's commit keeps only its
	// offsets (at most 8192 such batches). 0: a batch keeps its sender
	// until it is confirmed.
	AckPendingBytes int
	// ShutdownGrace bounds how long a batch in flight may still be
	// delivered after ctx ends; past it, the batch is left uncommitted and
	// will be delivered again after the restart.
	ShutdownGrace time.Duration
	// Logger should carry the sink's name: records are logged without it.
	Logger  zerolog.Logger
	Metrics *Metrics
	Status  *Status // for /healthz; may be nil
}

// Forwarder is one consumer of the group. It is not safe for concurrent use.
type Forwarder struct {
	cfg    Config
	src    source
	sink   Sink
	format Format
	dlq    deadLetters
	// bufs are formatted-record buffers of committed batches, for reuse.
	bufs chan []byte
	// fetched holds records fetched but not yet in a batch (fetch stage
	// only).
	fetched []kafka.Message
}

// New returns a Forwarder with defaults filled in.
func New(cfg Config, src source, sink Sink, format Format, dlq deadLetters) *Forwarder {
	// Zero or negative: the default.
	cfg.BatchSize = cmp.Or(max(cfg.BatchSize, 0), 1000)
	cfg.DLQMaxBytes = cmp.Or(max(cfg.DLQMaxBytes, 0), 1_000_000)
	cfg.BatchBytes = cmp.Or(max(cfg.BatchBytes, 0), 4<<20)
	cfg.BatchWait = cmp.Or(max(cfg.BatchWait, 0), 200*time.Millisecond)
	cfg.RetryMin = cmp.Or(max(cfg.RetryMin, 0), 200*time.Millisecond)
	cfg.RetryMax = cmp.Or(max(cfg.RetryMax, 0), 30*time.Second)
	cfg.Senders = cmp.Or(max(cfg.Senders, 0), 1)
	cfg.ShutdownGrace = cmp.Or(max(cfg.ShutdownGrace, 0), 10*time.Second)
	return &Forwarder{cfg: cfg, src: src, sink: sink, format: format, dlq: dlq, bufs: make(chan []byte, cfg.Senders+3)}
}
