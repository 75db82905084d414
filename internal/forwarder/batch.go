package forwarder

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/record"
)

// batch is a run of fetched messages and what became of each.
type batch struct {
	msgs       []kafka.Message
	records    [][]byte // formatted, index-aligned with msgs; nil for dead ones
	total      int      // records in the batch (msgs may be compacted once it is delivered)
	ids        []string
	pendingIdx []int // indexes still to deliver
	dead       []deadRecord
	buf        []byte    // one buffer holding every formatted record
	ends       []int     // end of each record in buf; a dead record ends where the previous one did
	start      time.Time // when its delivery began
	// ingested and occurred are each event's ingestionTimestamp and
	// eventTimestamp (Unix ns, as parsed for formatting; 0: an alert, an
	// unparsable record, no such time), for the freshness histograms.
	ingested, occurred []int64
}

type deadRecord struct {
	idx    int
	reason string
}

func (b *batch) reject(idx int, reason string) {
	b.dead = append(b.dead, deadRecord{idx: idx, reason: reason})
}

// subset returns the records and ids at the given indexes.
func (b *batch) subset(idx []int) ([][]byte, []string) {
	recs, ids := make([][]byte, len(idx)), make([]string, len(idx))
	for i, j := range idx {
		recs[i], ids[i] = b.records[j], b.ids[j]
	}
	return recs, ids
}

// fetchLoop fills batches by count, bytes or time and hands them over in
// order. It closes out when ctx ends or fetching fails.
func (f *Forwarder) fetchLoop(ctx context.Context, out chan<- *batch) error {
	defer close(out)
	for {
		b, err := f.fill(ctx)
		if b != nil && len(b.msgs) > 0 {
			select {
			case out <- b:
			case <-ctx.Done():
				return nil
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// fill fetches one batch: it waits for a first record, then takes more
// until the batch is full (BatchSize records or BatchBytes of values) or
// BatchWait has passed since the first one. Records fetched beyond a full
// batch start the next one.
func (f *Forwarder) fill(ctx context.Context) (*batch, error) {
	if len(f.fetched) == 0 {
		msgs, err := f.src.Fetch(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetch: %w", err)
		}
		f.fetched = msgs
	}
	b := &batch{msgs: make([]kafka.Message, 0, f.cfg.BatchSize)}
	size := 0
	wctx, cancel := context.WithTimeout(ctx, f.cfg.BatchWait)
	defer cancel()
	for {
		n := 0
		for n < len(f.fetched) && len(b.msgs)+n < f.cfg.BatchSize && size < f.cfg.BatchBytes {
			size += len(f.fetched[n].Value)
			n++
		}
		b.msgs = append(b.msgs, f.fetched[:n]...)
		f.fetched = f.fetched[n:]
		if len(b.msgs) >= f.cfg.BatchSize || size >= f.cfg.BatchBytes {
			return b, nil
		}
		msgs, err := f.src.Fetch(wctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return b, nil // the batch is as full as it gets in BatchWait
			}
			return b, fmt.Errorf("fetch: %w", err)
		}
		f.fetched = msgs
	}
}

// formatLoop parses and formats batches, in order, between the fetcher and
// the sender, so that both cores work: one fetching and formatting the next
// batches while the other waits on the sink.
func (f *Forwarder) formatLoop(in <-chan *batch, out chan<- *batch) {
	defer close(out)
	for b := range in {
		f.formatBatch(b)
		out <- b
	}
}

func (f *Forwarder) formatBatch(b *batch) {
	b.total = len(b.msgs)
	b.buf = f.takeBuf()
	b.ids = make([]string, 0, len(b.msgs))
	b.ends = make([]int, 0, len(b.msgs))
	b.pendingIdx = make([]int, 0, len(b.msgs))
	b.ingested, b.occurred = make([]int64, len(b.msgs)), make([]int64, len(b.msgs))
	// One Event for the whole batch: handed to a Format (a function
	// value), a local one would escape and be allocated per record.
	ev := new(event.Event)
	for i := range b.msgs {
		f.add(b, i, ev)
	}
	// Formatted records share b.buf; slices are taken only now that it has
	// stopped growing.
	b.records = make([][]byte, len(b.msgs))
	start := 0
	for i, end := range b.ends {
		if end > start {
			b.records[i] = b.buf[start:end:end]
		}
		start = end
	}
}

// add parses message idx of the batch into ev and formats it; a record that
// cannot be parsed is marked dead with the reason.
func (f *Forwarder) add(b *batch, idx int, ev *event.Event) {
	m := &b.msgs[idx]
	kind := event.KindEvent
	if m.Topic == f.cfg.AlertsTopic && f.cfg.AlertsTopic != "" {
		kind = event.KindAlert
	}
	var err error
	if *ev, err = event.Parse(m.Value, kind); err != nil {
		b.ids = append(b.ids, "")
		b.ends = append(b.ends, len(b.buf))
		b.reject(idx, "invalid record: "+err.Error())
		return
	}
	if kind == event.KindEvent {
		b.ingested[idx], b.occurred[idx] = unixNano(ev.Ingested), unixNano(ev.Time)
	}
	if ev.Time.IsZero() && ev.Ingested.IsZero() {
		ev.Ingested = m.Time // alerts have no ingestion time; formats need one
	}
	ev.Topic, ev.Partition, ev.Offset = m.Topic, m.Partition, m.Offset
	b.buf = f.format(b.buf, ev)
	b.ends = append(b.ends, len(b.buf))
	b.ids = append(b.ids, ev.ID)
	b.pendingIdx = append(b.pendingIdx, idx)
}

// dlqMessage is the dead-letter record of m (record.Letter): the original
// bytes, key and headers, plus why, where it came from and which sink
// refused it; cut to fit DLQMaxBytes, and flagged so, when larger.
func (f *Forwarder) dlqMessage(m kafka.Message, reason string) kafka.Message {
	return record.Letter{Key: m.Key, Value: m.Value, Headers: m.Headers, Reason: reason,
		Stage: record.StageForward(f.cfg.Sink), Source: &m, Time: time.Now()}.Message(f.cfg.DLQTopic, f.cfg.DLQMaxBytes)
}

// writeDead writes the batch's refused records to the DLQ; the batch is
// committed only once Kafka acknowledged them.
func (f *Forwarder) writeDead(ctx context.Context, b *batch) error {
	msgs := make([]kafka.Message, len(b.dead))
	for i, d := range b.dead {
		msgs[i] = f.dlqMessage(b.msgs[d.idx], d.reason)
		cut := len(msgs[i].Value) < len(b.msgs[d.idx].Value)
		f.cfg.Logger.Warn().Str("topic", b.msgs[d.idx].Topic).
			Int("partition", b.msgs[d.idx].Partition).Int64("offset", b.msgs[d.idx].Offset).
			Str("reason", d.reason).Bool("truncated", cut).Int("bytes", len(b.msgs[d.idx].Value)).
			Msg("record refused; sent to the dead-letter topic")
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := f.dlq.Write(wctx, msgs); err != nil {
		return fmt.Errorf("write %d records to the dead-letter topic %s: %w", len(msgs), f.cfg.DLQTopic, err)
	}
	return nil
}

// takeBuf returns an empty buffer for a batch's formatted records, reusing
// those of batches already committed: allocating (and zeroing) megabytes
// per batch cost about a microsecond per event.
func (f *Forwarder) takeBuf() []byte {
	select {
	case buf := <-f.bufs:
		return buf[:0]
	default:
		return make([]byte, 0, 1<<20)
	}
}

// putBuf gives a committed batch's buffer back; nothing refers to its
// records any more (sinks copy what they send before Send returns).
func (f *Forwarder) putBuf(buf []byte) {
	select {
	case f.bufs <- buf:
	default:
	}
}

// unixNano is t in Unix nanoseconds, 0 (no time) for the zero time and for
// a time Unix nanoseconds cannot hold (before 1678 or after 2262: a
// timestamp such as 9999-12-31 would wrap around into a nonsense age).
func unixNano(t time.Time) int64 {
	if y := t.Year(); y < 1678 || y > 2261 {
		return 0
	}
	return t.UnixNano()
}
