package forwarder

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/sinks"
)

// submitter is a sink that can return before its peer confirmed what it
// accepted: Delivered results may carry an Ack to await (Splunk HEC with
// indexer acknowledgement). The forwarder awaits it outside the sender, so
// a lost acknowledgement holds one batch, not a sender and the batches
// behind it.
type submitter interface {
	Submit(ctx context.Context, records [][]byte, ids []string) ([]sinks.Result, error)
}

var _ submitter = (*sinks.HEC)(nil)

// awaited is an acknowledgement a batch waits for, and the batch's records
// it covers.
type awaited struct {
	ack *sinks.Ack
	idx []int
}

// addAwaited files record idx under its acknowledgement, keeping the
// order in which they were given.
func addAwaited(list []awaited, a *sinks.Ack, idx int) []awaited {
	if n := len(list); n > 0 && list[n-1].ack == a {
		list[n-1].idx = append(list[n-1].idx, idx)
		return list
	}
	return append(list, awaited{ack: a, idx: []int{idx}})
}

// awaitAcks waits for the batch's acknowledgements once it has left its
// sender, and returns the records whose acknowledgement timed out (to be
// sent again). wctx ends at the end of the shutdown grace period or when
// delivery stopped for good: the batch is then left uncommitted.
func (f *Forwarder) awaitAcks(wctx context.Context, list []awaited) ([]int, error) {
	var again []int
	for _, w := range list {
		ok, err := w.ack.Wait(wctx)
		switch {
		case err != nil && wctx.Err() != nil:
			return nil, errShutdown // uncommitted: delivered again after the restart
		case err != nil:
			return nil, fmt.Errorf("deliver to %s: %w", f.cfg.Sink, err)
		case !ok:
			again = append(again, w.idx...)
			f.cfg.Logger.Warn().Int64("ack_id", w.ack.ID()).Int("records", len(w.idx)).
				Msg("indexer acknowledgement not received in time; sending those records again")
		}
	}
	f.cfg.Metrics.ackResent(f.cfg.Sink, len(again))
	return again, nil
}

// byteBound bounds the bytes of batches sent and not yet confirmed. One
// batch is always let through, however large, so that nothing stalls.
type byteBound struct {
	limit int

	mu    sync.Mutex
	used  int
	freed chan struct{} // closed (and replaced) whenever bytes are released
}

func newByteBound(limit int) *byteBound {
	return &byteBound{limit: limit, freed: make(chan struct{})}
}

var errStopped = errors.New("stopped")

// acquire waits until n more bytes fit, or ctx ends (errStopped), and
// returns the bytes then held.
func (b *byteBound) acquire(ctx context.Context, n int) (int, error) {
	for {
		b.mu.Lock()
		if b.used == 0 || b.used+n <= b.limit {
			b.used += n
			used := b.used
			b.mu.Unlock()
			return used, nil
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return 0, errStopped
		}
	}
}

// release gives n bytes back and returns the bytes still held.
func (b *byteBound) release(n int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	return b.used
}

// maxWaiting bounds the batches confirmed but waiting for an earlier
// batch's commit (a lost acknowledgement's re-send, say), each holding a
// few offsets: 8192 batches of 1,000 records let the stream run ahead by
// 8 million records before fetching pauses.
const maxWaiting = 8192

// compact drops what a confirmed batch no longer needs while it waits for
// its commit: its formatted records (the buffer goes back for reuse) and
// its messages but the last of each partition, all a commit needs.
func (f *Forwarder) compact(b *batch) {
	if b.buf != nil {
		f.putBuf(b.buf)
	}
	b.buf, b.records, b.ids, b.ends, b.pendingIdx = nil, nil, nil, nil, nil
	type tp struct {
		topic     string
		partition int
	}
	last := map[tp]int{}
	for i := range b.msgs {
		k := tp{b.msgs[i].Topic, b.msgs[i].Partition}
		if j, ok := last[k]; !ok || b.msgs[i].Offset > b.msgs[j].Offset {
			last[k] = i
		}
	}
	msgs := make([]kafka.Message, 0, len(last))
	for _, i := range last {
		m := b.msgs[i]
		msgs = append(msgs, kafka.Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: m.Time})
	}
	b.msgs = msgs
}

// heldBytes is what a batch holds in memory until its commit: its
// formatted records and the Kafka values they came from.
func heldBytes(b *batch) int {
	n := len(b.buf)
	for i := range b.msgs {
		n += len(b.msgs[i].Value)
	}
	return n
}
