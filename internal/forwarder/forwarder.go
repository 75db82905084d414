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

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/sinks"
)

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
	// wctx ends the waits for acknowledgements: ShutdownGrace after ctx
	// ends, or as soon as delivery stopped for good.
	wctx, stopWaiting := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWaiting()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(f.cfg.ShutdownGrace, stopWaiting) })
	defer stopGrace()
	fctx, stopFetching := context.WithCancel(dctx)
	defer stopFetching()
	fetched := make(chan *batch, 1)
	formatted := make(chan *batch, 1)
	fetchErr := make(chan error, 1)
	go func() { fetchErr <- f.fetchLoop(fctx, fetched) }()
	go f.formatLoop(fetched, formatted)

	// One slot per batch in its sender, or awaiting its commit unless
	// AckPendingBytes lets it leave the sender while its acknowledgement
	// is pending; then bound holds the bytes of every batch sent and not
	// yet confirmed, and a confirmed batch waiting for an earlier one's
	// commit keeps only its offsets, up to maxWaiting of them.
	slots := make(chan struct{}, f.cfg.Senders)
	queueLen := f.cfg.Senders
	var bound *byteBound
	if f.cfg.AckPendingBytes > 0 {
		bound = newByteBound(f.cfg.AckPendingBytes)
		queueLen += maxWaiting // a full queue only pauses fetching, as the bound does
	}
	queue := make(chan *flight, queueLen) // the batches sent, in fetch order
	commitErr := make(chan error, 1)
	stop := func() { stopDelivering(); stopWaiting() }
	go func() { commitErr <- f.commitLoop(ctx, queue, stop) }()
	var deliveries sync.WaitGroup
	for b := range formatted {
		fl := &flight{batch: b, done: make(chan struct{}), release: sync.OnceFunc(func() { <-slots })}
		if bound != nil {
			fl.held = heldBytes(b)
			used, err := bound.acquire(dctx, fl.held)
			if err != nil {
				break // stopped: the batch is left uncommitted
			}
			f.cfg.Metrics.pendingBytes(f.cfg.Sink, used)
		}
		select {
		case slots <- struct{}{}:
		case <-dctx.Done():
		}
		if dctx.Err() != nil {
			// Shutting down or stopped: a batch not started yet is left
			// uncommitted and delivered after the restart.
			break
		}
		f.cfg.Metrics.inFlight(f.cfg.Sink, 1)
		deliveries.Add(1)
		go func() {
			defer deliveries.Done()
			fl.err = f.deliverBatch(dctx, wctx, fl)
			if bound != nil {
				// Confirmed (or failed): what it still holds until its
				// commit is a few offsets, not its bytes.
				if fl.err == nil {
					f.compact(fl.batch)
				}
				f.cfg.Metrics.pendingBytes(f.cfg.Sink, bound.release(fl.held))
			}
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
	batch   *batch
	held    int // bytes counted against AckPendingBytes
	release func()
	done    chan struct{}
	err     error
}

var errShutdown = errors.New("shutdown grace period over")

// commitLoop commits delivered batches in fetch order. At the first batch
// that could not be delivered it stops committing and calls stop; that
// batch's error is returned (nil if it was only the shutdown).
func (f *Forwarder) commitLoop(ctx context.Context, queue <-chan *flight, stop func()) error {
	var failed error
	for fl := range queue {
		<-fl.done
		fl.release()
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
func (f *Forwarder) deliverBatch(ctx, wctx context.Context, fl *flight) error {
	b := fl.batch
	b.start = time.Now()
	if err := f.deliver(ctx, wctx, fl); err != nil {
		return err
	}
	f.freshness(b)
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
		f.cfg.Logger.Warn().Err(err).Int("records", b.total).Msg("commit offsets failed; the batch may be delivered again")
		f.cfg.Metrics.commitFailed(f.cfg.Sink)
		return
	}
	f.cfg.Metrics.batch(f.cfg.Sink, b.total-len(b.dead), len(b.dead), time.Since(b.start))
	f.cfg.Status.commit(b.total)
	if b.buf != nil {
		f.putBuf(b.buf)
	}
}

// deliver sends the batch's records until every one is delivered or
// rejected. With AckPendingBytes, a batch whose records were accepted but
// are not acknowledged yet leaves its sender to wait; records whose
// acknowledgement timed out are sent again (same bytes, same eventIds).
func (f *Forwarder) deliver(ctx, wctx context.Context, fl *flight) error {
	pending := fl.batch.pendingIdx
	for {
		acks, err := f.sendAll(ctx, fl.batch, pending)
		if err != nil || len(acks) == 0 {
			return err
		}
		fl.release() // the batch leaves its sender: the next one may be sent
		if pending, err = f.awaitAcks(wctx, acks); err != nil || len(pending) == 0 {
			return err
		}
		if ctx.Err() != nil {
			return errShutdown // uncommitted: delivered again after the restart
		}
	}
}

// send is the sink's Send, or its Submit when acknowledgements are awaited
// outside the sender.
func (f *Forwarder) send(ctx context.Context, recs [][]byte, ids []string) ([]sinks.Result, error) {
	if s, ok := f.sink.(submitter); ok && f.cfg.AckPendingBytes > 0 {
		return s.Submit(ctx, recs, ids)
	}
	return f.sink.Send(ctx, recs, ids)
}

// sendAll sends the records at pending until every one is accepted or
// rejected, backing off between attempts. It returns the acknowledgements
// still owed for accepted ones.
func (f *Forwarder) sendAll(ctx context.Context, b *batch, pending []int) ([]awaited, error) {
	var acks []awaited
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
		results, err := f.send(sctx, recs, ids)
		if err != nil {
			return nil, fmt.Errorf("deliver to %s: %w", f.cfg.Sink, err)
		}
		var retry []int
		var after time.Duration
		for i, r := range results {
			idx := pending[i]
			switch r.Outcome {
			case sinks.Delivered:
				if r.Ack != nil {
					acks = addAwaited(acks, r.Ack, idx)
				}
			case sinks.Reject:
				b.reject(idx, r.Reason)
			default:
				retry = append(retry, idx)
				after = max(after, r.RetryAfter)
			}
		}
		pending = retry
		if len(pending) == 0 {
			return acks, nil
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
				return nil, errShutdown // uncommitted: delivered again after the restart
			}
		}
		if ctx.Err() != nil {
			time.Sleep(wait) // shutting down: the wait fits in the grace period (checked above)
			continue
		}
		_ = backoff.Sleep(ctx, wait) // a shutdown wakes us to re-check the grace period
	}
	return acks, nil
}

func firstReason(rs []sinks.Result) string {
	for _, r := range rs {
		if r.Outcome == sinks.Retry && r.Reason != "" {
			return r.Reason
		}
	}
	return ""
}
