package detector

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/record"
)

// session is the state of one leadership term between saves.
type session struct {
	d        *Detector
	eng      *detect.Engine
	offsets  map[int]int64
	newest   time.Time         // newest event time processed
	complete map[int]time.Time // per partition, the newest completeBefore header read there
	parts    []kafka.Partition
	admin    *kafka.Client
	pending  []detect.Alert
	dead     []kafka.Message
	dirty    bool      // events processed since the last save
	checked  time.Time // last check of the topic's partitions
	// extracted is the ingestion time before which extract's checkpoint
	// vouched that every event is in the records read; awaited is the
	// latest mark read, until the records it vouches for are read.
	extracted time.Time
	awaited   *extractMark
}

func (s *session) handle(f fetched) {
	m := f.msg
	s.dirty = true
	s.offsets[m.Partition] = m.Offset + 1
	s.d.prog.processed(m.Partition, m.Offset+1)
	ev, err := event.Parse(m.Value, event.KindEvent)
	if err != nil {
		s.d.m.invalid.Inc()
		s.dead = append(s.dead, deadLetter(s.d.cfg.DLQTopic, m, err, s.d.cfg.MaxMessageBytes))
		return
	}
	s.d.m.events.Inc()
	for _, h := range m.Headers {
		if h.Key == record.HeaderCompleteBefore {
			c, err := time.Parse(time.RFC3339Nano, string(h.Value))
			// A completeBefore past the local clock plus maxFuture is a
			// clock running ahead: believed, it would close every window.
			if err == nil && c.After(time.Now().Add(s.eng.MaxFuture())) {
				s.d.log.Warn().Str("completeBefore", string(h.Value)).Int("partition", m.Partition).Int64("offset", m.Offset).
					Msg("completeBefore header later than this clock plus maxFuture; ignored")
				continue
			}
			if err == nil && c.After(s.complete[m.Partition]) {
				s.complete[m.Partition] = c
			}
		}
	}
	// A genuine event happened before extract produced its record: events
	// dated more than maxFuture after the record's Kafka timestamp are
	// counted as future and enter no window. A record without a timestamp,
	// or one past this clock, is bounded by this clock.
	bound, now := m.Time, time.Now()
	if bound.IsZero() || bound.After(now) {
		bound = now
	}
	s.eng.SetBound(bound)
	t := ev.Time
	if t.IsZero() {
		t = ev.Ingested
	}
	if t.After(s.newest) {
		s.newest = t
	}
	s.pending = append(s.pending, s.eng.Process(&ev)...)
}

// watermark is the event time before which no event is still to come,
// minus the rules' lateness, or zero when that is not known yet.
//
// Pigment serves newest first, so the newest event time seen says nothing
// about older events of the same run still to come. Extract says on each
// record (completeBefore) the ingestion time before which every event is
// already in the topic, and an event is never ingested before it happened.
// Reading such a record on a partition means every earlier record of that
// partition was read (Kafka keeps a partition's order), so a partition
// vouches for its own newest completeBefore; a partition read to its end
// (ends, fetched at each save) vouches for the newest one read anywhere.
// The bound is the least of these, so it depends on the records read, not
// on the timing of reads across partitions or of saves.
//
// That bound stops at the newest event read, and a header moves only when
// extract writes a later record; extract's checkpoint (extracted, see
// extractMark) moves it further once the records it vouches for are read,
// so windows are decided when nothing more arrives.
func (s *session) watermark(ends map[int]int64) time.Time {
	var newestComplete time.Time
	for _, c := range s.complete {
		if c.After(newestComplete) {
			newestComplete = c
		}
	}
	bound := newestComplete
	for _, p := range s.parts {
		if s.offsets[p.ID] >= ends[p.ID] {
			continue // read to its end
		}
		if c := s.complete[p.ID]; c.Before(bound) {
			bound = c
		}
	}
	if s.newest.Before(bound) {
		bound = s.newest
	}
	// Extract's checkpoint vouches past the newest event read: a quiet
	// hour after a burst, or the end of a first catch-up, is known over.
	if x := minTime(s.extracted, time.Now().Add(maxExtractSkew)); x.After(bound) {
		bound = x
	}
	if bound.IsZero() {
		return bound
	}
	return bound.Add(-s.eng.Lateness())
}

// maxExtractSkew bounds extract's checkpoint by this clock: its times come
// from Postgres's clock and the source's (as extract's own
// PIGMENT_MAX_CLOCK_SKEW, by default), and one running ahead must not
// decide windows early.
const maxExtractSkew = time.Minute

// extractMark is what extract's committed checkpoint vouches for: every
// event ingested before at is in the events topic, before offsets ends.
// Extract commits a run only once Kafka acknowledged its records, so end
// offsets read after the checkpoint include them: once detect has read up
// to ends, the watermark may move to at (minus the lateness). Read in the
// other order, offsets could miss the pages of a run committed between
// the two reads.
type extractMark struct {
	at   time.Time
	ends map[int]int64
}

// readExtract returns extract's checkpoint as a mark without its end
// offsets, or nil when there is none (detect used alone) or it cannot be
// read now (the watermark then follows the headers).
func (s *session) readExtract(ctx context.Context) *extractMark {
	if s.d.cfg.Extract == nil {
		return nil
	}
	at, err := s.d.cfg.Extract.CompleteBefore(ctx, s.d.cfg.ExtractCheckpoint)
	if err != nil {
		s.d.log.Warn().Err(err).Str("checkpoint", s.d.cfg.ExtractCheckpoint).Msg("read extract's checkpoint; the watermark follows the records' headers")
		return nil
	}
	if at.IsZero() {
		return nil
	}
	return &extractMark{at: at}
}

// noteExtract moves extracted to the awaited mark once every partition
// was read up to its offsets, and awaits fresh (nil: none read) when no
// mark is awaited.
func (s *session) noteExtract(fresh *extractMark) {
	if s.awaited != nil && s.readTo(s.awaited.ends) {
		s.extracted, s.awaited = maxTime(s.extracted, s.awaited.at), nil
	}
	if s.awaited != nil || fresh == nil || !fresh.at.After(s.extracted) {
		return
	}
	s.awaited = fresh
	if s.readTo(fresh.ends) {
		s.extracted, s.awaited = fresh.at, nil
	}
}

// readTo reports whether every partition was read up to ends.
func (s *session) readTo(ends map[int]int64) bool {
	for p, end := range ends {
		if s.offsets[p] < end {
			return false
		}
	}
	return true
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ends returns each partition's end offset, or nil if Kafka cannot say now
// (the watermark then waits for the next save).
func (s *session) ends(ctx context.Context) map[int]int64 {
	reqs := make([]kafka.OffsetRequest, len(s.parts))
	for i, p := range s.parts {
		reqs[i] = kafka.LastOffsetOf(p.ID)
	}
	resp, err := s.admin.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{s.d.cfg.Topic: reqs}})
	if err != nil {
		s.d.log.Warn().Err(err).Msg("read end offsets; the watermark waits")
		return nil
	}
	ends := map[int]int64{}
	for _, p := range resp.Topics[s.d.cfg.Topic] {
		if p.Error != nil {
			return nil
		}
		ends[p.Partition] = p.LastOffset
	}
	return ends
}

// save advances the watermark when caught up, then saves state, offsets and
// the new alerts in one transaction, then produces the alerts.
func (s *session) save(ctx context.Context) error {
	fresh := s.readExtract(ctx) // before the end offsets: see extractMark
	if fresh != nil && (s.awaited != nil || !fresh.at.After(s.extracted)) {
		fresh = nil // nothing it could vouch for now
	}
	if !s.dirty && fresh == nil {
		return nil
	}
	advanced := false
	if ends := s.ends(ctx); ends != nil {
		if fresh != nil {
			fresh.ends = ends
		}
		s.noteExtract(fresh)
		if wm := s.watermark(ends); !wm.IsZero() {
			advanced = wm.After(s.eng.Watermark())
			s.pending = append(s.pending, s.eng.Advance(wm)...)
			s.d.m.watermark.Set(float64(wm.Unix()))
		}
	}
	if !s.dirty && !advanced {
		return nil
	}
	s.dirty = false
	if err := s.d.pub.Write(ctx, s.dead); err != nil {
		return fmt.Errorf("write %d dead letters: %w", len(s.dead), err)
	}
	s.dead = nil
	state, err := s.eng.MarshalState()
	if err != nil {
		return fmt.Errorf("marshal detector state: %w", err)
	}
	outbox, err := s.d.queue(s.pending)
	if err != nil {
		return err
	}
	snap := Snapshot{State: state, Offsets: s.offsets, Complete: s.complete, Newest: s.newest, Watermark: s.eng.Watermark()}
	if err := s.d.store.Save(ctx, s.d.cfg.Name, snap, outbox); err != nil {
		return err
	}
	s.d.m.stateBytes.Set(float64(len(state)))
	st := s.eng.Stats()
	s.d.m.late.Set(float64(st.Late))
	s.d.m.untimed.Set(float64(st.Untimed))
	s.d.m.future.Set(float64(st.Future))
	for _, a := range s.pending {
		s.d.log.Info().Str("alert", a.ID).Str("rule", a.Rule).Str("severity", a.Severity).
			Str("actor", a.ActorEmail).Int("count", a.Count).Msg(a.Title)
	}
	if len(s.pending) == 0 {
		s.d.prog.saved()
		return nil // the outbox is empty: every earlier flush succeeded or ended the term
	}
	s.pending = s.pending[:0]
	s.d.prog.unflushed() // a flush hanging on Kafka is work waiting, not progress
	if err := s.d.flushOutbox(ctx); err != nil {
		return err
	}
	s.d.prog.saved()
	return nil
}
