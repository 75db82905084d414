package detector

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// progress is what /healthz and pigment_detect_lag read while detect runs:
// the next offset to process per partition, when processing last moved,
// and since when processed records wait to be saved. The session updates
// it; HTTP handlers read it. It is safe for concurrent use.
//
// Both are computed when asked, from the topic's end offsets read then: a
// detector stuck in a save, or unable to fetch, stops updating anything
// itself, so nothing it sets can tell that it is stuck.
type progress struct {
	topic string
	now   func() time.Time

	mu         sync.Mutex
	admin      *kafka.Client // the term's client (nil: no term yet)
	offsets    map[int]int64 // next offset to process, per partition
	ends       map[int]int64 // end offsets last read (nil: never)
	endsAt     time.Time     // when they were read
	moved      time.Time     // a record processed, state saved, or the lead taken
	dirtySince time.Time     // first record processed, or alert decided, since the last save and flush (zero: none)
	// behindSince is when a read of the end offsets first found records
	// behind since processing last moved: records just written are not a
	// stuck detector.
	behindSince time.Time
	lastSave    time.Time
}

func newProgress(topic string) *progress {
	return &progress{topic: topic, now: time.Now, offsets: map[int]int64{}, moved: time.Now()}
}

// term starts a leadership term reading partitions parts from offsets.
func (p *progress) term(admin *kafka.Client, parts []kafka.Partition, offsets map[int]int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.admin, p.moved, p.dirtySince = admin, p.now(), time.Time{}
	p.offsets = map[int]int64{}
	for _, pt := range parts {
		p.offsets[pt.ID] = offsets[pt.ID]
	}
}

// processed records that the record before next on partition was processed.
func (p *progress) processed(partition int, next int64) {
	p.mu.Lock()
	now := p.now()
	p.offsets[partition], p.moved = next, now
	if p.dirtySince.IsZero() {
		p.dirtySince = now
	}
	p.mu.Unlock()
}

// unflushed records that alerts were saved but are not produced yet: until
// saved, a flush hanging on Kafka counts as work waiting.
func (p *progress) unflushed() {
	p.mu.Lock()
	if p.dirtySince.IsZero() {
		p.dirtySince = p.now()
	}
	p.mu.Unlock()
}

// saved records a successful save of everything processed, and the
// production of every alert decided.
func (p *progress) saved() {
	p.mu.Lock()
	p.moved, p.lastSave, p.dirtySince = p.now(), p.now(), time.Time{}
	p.mu.Unlock()
}

// lagMaxAge is how long end offsets read earlier stand in for a read that
// failed in pigment_detect_lag (NaN after it). /healthz allows
// DETECT_STUCK_AFTER instead: past it the topic's end is unknown, so a
// detector cut off from its brokers does not look caught up forever, while
// a leader election shorter than that does not make it unhealthy.
const lagMaxAge = 30 * time.Second

// behind returns the records of the events topic not processed yet, from
// end offsets read now (within two seconds), else the last ones read if they
// are at most maxAge old; known is false otherwise.
func (p *progress) behind(ctx context.Context, maxAge time.Duration) (n int64, known bool) {
	p.mu.Lock()
	admin, parts := p.admin, make([]int, 0, len(p.offsets))
	for id := range p.offsets {
		parts = append(parts, id)
	}
	p.mu.Unlock()
	if admin != nil && len(parts) > 0 {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		reqs := make([]kafka.OffsetRequest, len(parts))
		for i, id := range parts {
			reqs[i] = kafka.LastOffsetOf(id)
		}
		resp, err := admin.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{p.topic: reqs}})
		if err == nil {
			ends := map[int]int64{}
			for _, po := range resp.Topics[p.topic] {
				if po.Error == nil {
					ends[po.Partition] = po.LastOffset
				}
			}
			if len(ends) == len(parts) {
				p.mu.Lock()
				p.ends, p.endsAt = ends, p.now()
				p.mu.Unlock()
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ends == nil || p.now().Sub(p.endsAt) > maxAge {
		return 0, false
	}
	for id, next := range p.offsets {
		n += max(p.ends[id]-next, 0)
	}
	if n > 0 && !p.behindSince.After(p.moved) {
		p.behindSince = p.now()
	}
	return n, true
}

// lag is pigment_detect_lag: records not processed yet, NaN when unknown.
func (p *progress) lag() float64 {
	n, known := p.behind(context.Background(), lagMaxAge)
	if !known {
		return math.NaN()
	}
	return float64(n)
}

// check reports whether the leader is making progress: it is stuck when
// processed records have waited more than stuckAfter to be saved, or when
// records have been behind (or the topic's end unknown) for more than
// stuckAfter with nothing moving. An idle detector, caught up, is healthy.
func (p *progress) check(stuckAfter time.Duration) (bool, map[string]any) {
	n, known := p.behind(context.Background(), stuckAfter)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	d := map[string]any{"last_save": nil}
	if !p.lastSave.IsZero() {
		d["last_save"] = p.lastSave.UTC().Format(time.RFC3339Nano)
	}
	if known {
		d["behind"] = n
	}
	idle := now.Sub(p.moved)
	switch {
	case !p.dirtySince.IsZero() && now.Sub(p.dirtySince) > stuckAfter:
		d["reason"] = fmt.Sprintf("processed records or decided alerts not saved and produced for %s (more than DETECT_STUCK_AFTER %s)", now.Sub(p.dirtySince).Round(time.Second), stuckAfter)
	case known && n > 0 && idle > stuckAfter && now.Sub(p.behindSince) > stuckAfter:
		d["reason"] = fmt.Sprintf("%d records behind and no progress for %s (more than DETECT_STUCK_AFTER %s)", n, idle.Round(time.Second), stuckAfter)
	case !known && idle > stuckAfter:
		d["reason"] = fmt.Sprintf("end of the events topic unknown (broker unreachable?) and no progress for %s (more than DETECT_STUCK_AFTER %s)", idle.Round(time.Second), stuckAfter)
	default:
		return true, d
	}
	return false, d
}
