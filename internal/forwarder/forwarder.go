// Package forwarder moves records from Kafka to a SIEM sink, at least once:
// a batch is fetched, formatted, sent until the sink has confirmed or
// permanently refused every record (refused ones go to the dead-letter
// topic), and only then are its offsets committed, partition by partition.
//
// While a sink answers "retry" (busy, throttled, down), the batch is re-sent
// with jittered backoff honouring Retry-After for as long as it takes, and
// nothing more is fetched: back-pressure, never loss. A sink that refuses
// the credentials stops the forwarder without committing.
package forwarder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// Sink delivers formatted records and says what became of each one.
type Sink interface {
	Send(ctx context.Context, records [][]byte, ids []string) ([]sinks.Result, error)
}

// Format renders one parsed record for the sink, appending to dst.
type Format func(dst []byte, ev *transform.Event) []byte

// source is the consumer-group reader as the forwarder uses it: records in
// chunks (each in offset order within its partition), offsets committed
// explicitly. forward run uses internal/consumer; replay-dlq its own
// source over the dead-letter topic.
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
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 4 << 20
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = 200 * time.Millisecond
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 200 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 30 * time.Second
	}
	if cfg.Senders <= 0 {
		cfg.Senders = 1
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 10 * time.Second
	}
	return &Forwarder{cfg: cfg, src: src, sink: sink, format: format, dlq: dlq, bufs: make(chan []byte, cfg.Senders+3)}
}

// Run forwards until ctx ends (nil) or delivery must stop (the error: the
// sink refused the credentials, the DLQ is unwritable, Kafka failed).
//
// Stages overlap: fetching, formatting, and up to Senders deliveries. Offsets
// are committed in fetch order, each batch only once it and every batch
// fetched before it are delivered: a later batch confirmed first waits, so a
// commit never skips an undelivered record.
func (f *Forwarder) Run(ctx context.Context) error {
	// dctx ends deliveries' patience: on shutdown, or when one failed for
	// good and the rest can no longer be committed.
	dctx, stopDelivering := context.WithCancel(ctx)
	defer stopDelivering()
	fctx, stopFetching := context.WithCancel(dctx)
	defer stopFetching()
	fetched := make(chan *batch, 1)
	formatted := make(chan *batch, 1)
	fetchErr := make(chan error, 1)
	go func() { fetchErr <- f.fetchLoop(fctx, fetched) }()
	go f.formatLoop(fetched, formatted)

	slots := make(chan struct{}, f.cfg.Senders) // one per batch in delivery or awaiting its commit
	queue := make(chan *flight, f.cfg.Senders)  // those batches, in fetch order
	commitErr := make(chan error, 1)
	go func() { commitErr <- f.commitLoop(ctx, queue, slots, stopDelivering) }()
	var deliveries sync.WaitGroup
	for b := range formatted {
		select {
		case slots <- struct{}{}:
		case <-dctx.Done():
		}
		if dctx.Err() != nil {
			// Shutting down or stopped: a batch not started yet is left
			// uncommitted and delivered after the restart.
			break
		}
		fl := &flight{batch: b, done: make(chan struct{})}
		f.cfg.Metrics.inFlight(f.cfg.Sink, 1)
		deliveries.Add(1)
		go func() {
			defer deliveries.Done()
			fl.err = f.deliverBatch(dctx, b)
			close(fl.done)
		}()
		queue <- fl
	}
	stopFetching()
	for range formatted {
	}
	ferr := <-fetchErr
	close(queue)
	err := <-commitErr
	deliveries.Wait()
	if err != nil {
		return err
	}
	if ferr != nil && ctx.Err() == nil {
		return ferr
	}
	return nil
}

// flight is a batch in delivery; err is set when done is closed.
type flight struct {
	batch *batch
	done  chan struct{}
	err   error
}

var errShutdown = errors.New("shutdown grace period over")

// commitLoop commits delivered batches in fetch order. At the first batch
// that could not be delivered it stops committing and calls stop; that
// batch's error is returned (nil if it was only the shutdown).
func (f *Forwarder) commitLoop(ctx context.Context, queue <-chan *flight, slots <-chan struct{}, stop func()) error {
	var failed error
	for fl := range queue {
		<-fl.done
		<-slots
		f.cfg.Metrics.inFlight(f.cfg.Sink, -1)
		switch {
		case failed != nil:
			// Delivered or not, a batch after an undelivered one stays
			// uncommitted: committing it would skip the failed batch.
		case fl.err != nil:
			failed = fl.err
			stop()
		default:
			f.commit(ctx, fl.batch)
		}
	}
	if errors.Is(failed, errShutdown) {
		return nil
	}
	return failed
}

// deliverBatch delivers one batch and dead-letters what was refused.
func (f *Forwarder) deliverBatch(ctx context.Context, b *batch) error {
	b.start = time.Now()
	if err := f.deliver(ctx, b); err != nil {
		return err
	}
	if len(b.dead) > 0 {
		return f.writeDead(ctx, b)
	}
	return nil
}

// commit commits a delivered batch's offsets.
func (f *Forwarder) commit(ctx context.Context, b *batch) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := f.src.Commit(cctx, b.msgs...); err != nil {
		// Not fatal: the batch was delivered; after a rebalance or restart it
		// is delivered again (duplicates, same event IDs), never lost.
		f.cfg.Logger.Warn().Err(err).Int("records", len(b.msgs)).Msg("commit offsets failed; the batch may be delivered again")
		f.cfg.Metrics.commitFailed(f.cfg.Sink)
		return
	}
	f.cfg.Metrics.batch(f.cfg.Sink, len(b.msgs)-len(b.dead), len(b.dead), time.Since(b.start))
	f.cfg.Status.commit(len(b.msgs))
	f.putBuf(b.buf)
}

// deliver sends the batch's records until every one is delivered or
// rejected, backing off between attempts.
func (f *Forwarder) deliver(ctx context.Context, b *batch) error {
	pending := b.pendingIdx
	var stopBy time.Time
	retrying := false
	defer func() {
		if retrying {
			f.cfg.Status.retry(-1)
		}
	}()
	for attempt := 1; len(pending) > 0; attempt++ {
		recs, ids := b.subset(pending)
		sctx := context.WithoutCancel(ctx) // a send in flight finishes; shutdown is checked between sends
		results, err := f.sink.Send(sctx, recs, ids)
		if err != nil {
			return fmt.Errorf("deliver to %s: %w", f.cfg.Sink, err)
		}
		var retry []int
		var after time.Duration
		for i, r := range results {
			idx := pending[i]
			switch r.Outcome {
			case sinks.Delivered:
			case sinks.Reject:
				b.reject(idx, r.Reason)
			default:
				retry = append(retry, idx)
				after = max(after, r.RetryAfter)
			}
		}
		pending = retry
		if len(pending) == 0 {
			return nil
		}
		f.cfg.Metrics.retried(f.cfg.Sink, len(pending))
		if !retrying {
			retrying = true
			f.cfg.Status.retry(1)
		}
		wait := max(after, backoff.Jittered(attempt, f.cfg.RetryMin, f.cfg.RetryMax))
		f.cfg.Logger.Warn().Int("records", len(pending)).Int("attempt", attempt).
			Dur("retry_in", wait).Str("reason", firstReason(results)).Msg("sink asked to retry; consumption paused")
		if ctx.Err() != nil {
			if stopBy.IsZero() {
				stopBy = time.Now().Add(f.cfg.ShutdownGrace)
			}
			if time.Now().Add(wait).After(stopBy) {
				return errShutdown // uncommitted: delivered again after the restart
			}
		}
		if ctx.Err() != nil {
			time.Sleep(wait) // shutting down: the wait fits in the grace period (checked above)
			continue
		}
		_ = backoff.Sleep(ctx, wait) // a shutdown wakes us to re-check the grace period
	}
	return nil
}

func firstReason(rs []sinks.Result) string {
	for _, r := range rs {
		if r.Outcome == sinks.Retry && r.Reason != "" {
			return r.Reason
		}
	}
	return ""
}
