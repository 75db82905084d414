package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/detectstore"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// detector runs the rules over the events topic while it holds the lock.
//
// Windows are decided as the watermark passes them (see watermark).
//
// Its position in the topic is kept in Postgres with the rules' state, not
// in a Kafka consumer group: both are saved in one transaction with the
// alerts decided since the last save (an outbox), every DETECT_SAVE_INTERVAL.
// After a crash it resumes from the saved state at the saved offsets, so it
// neither loses nor re-decides alerts; alerts are produced from the outbox
// and removed once Kafka acknowledged them, so one may be produced twice
// (same ID) but never lost.
type detector struct {
	cfg     *Config
	log     zerolog.Logger
	rules   detect.RuleSet
	brokers []string
	// dialer and transport carry the brokers' TLS and SASL settings.
	dialer    *kafka.Dialer
	transport *kafka.Transport
	store     *detectstore.Store
	pub       *publish.Publisher
	m         *metrics
	prog      *progress // for /healthz and pigment_detect_lag
}

// fetched is one record read.
type fetched struct {
	msg kafka.Message
}

// run is one leadership term.
func (d *detector) run(ctx context.Context) error {
	eng, snap, err := d.restore(ctx)
	if err != nil {
		return err
	}
	if err := d.flushOutbox(ctx); err != nil {
		return err
	}
	parts, err := d.partitions(ctx)
	if err != nil {
		return err
	}
	recs := make(chan fetched, 4096)
	errc := make(chan error, len(parts))
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, p := range parts {
		go d.read(rctx, p, snap.Offsets, recs, errc)
	}
	if snap.Complete == nil {
		snap.Complete = map[int]time.Time{}
	}
	s := &session{d: d, eng: eng, offsets: snap.Offsets, complete: snap.Complete, newest: snap.Newest,
		parts: parts, admin: &kafka.Client{Addr: kafka.TCP(d.brokers...), Timeout: 10 * time.Second,
			Transport: d.transport}}
	d.prog.term(s.admin, parts, snap.Offsets)
	tick := time.NewTicker(d.cfg.SaveEvery)
	defer tick.Stop()
	for {
		select {
		case f := <-recs:
			s.handle(f)
		case <-tick.C:
			if err := s.save(ctx); err != nil {
				return err
			}
			if s.repartitioned(ctx) {
				return errRepartitioned
			}
		case err := <-errc:
			return err
		case <-ctx.Done():
			// A last save, so a restart need not re-read what was processed.
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer fcancel()
			if err := s.save(fctx); err != nil {
				d.log.Error().Err(err).Msg("final save failed; the next start re-reads from the last saved offsets")
			}
			return ctx.Err()
		}
	}
}

// restore builds the engine from the saved state, if any.
func (d *detector) restore(ctx context.Context) (*detect.Engine, detectstore.Snapshot, error) {
	eng, err := detect.NewEngine(d.rules)
	if err != nil {
		return nil, detectstore.Snapshot{}, fmt.Errorf("rules: %w", err)
	}
	snap, ok, err := d.store.Load(ctx, d.cfg.Name)
	if err != nil {
		return nil, snap, err
	}
	if ok {
		if err := eng.UnmarshalState(snap.State); err != nil {
			return nil, snap, fmt.Errorf("restore detector state %q (delete its row in detect_state to start afresh): %w", d.cfg.Name, err)
		}
		d.log.Info().Int("state_bytes", len(snap.State)).Interface("offsets", snap.Offsets).Time("watermark", snap.Watermark).Msg("resuming from saved state")
	}
	if snap.Offsets == nil {
		snap.Offsets = map[int]int64{}
	}
	return eng, snap, nil
}

// partitions waits for the events topic and returns its partitions.
func (d *detector) partitions(ctx context.Context) ([]kafka.Partition, error) {
	for {
		conn, err := d.dialer.DialContext(ctx, "tcp", d.brokers[0])
		if err == nil {
			parts, perr := conn.ReadPartitions(d.cfg.Topic)
			conn.Close()
			if perr == nil && len(parts) > 0 {
				return parts, nil
			}
			err = perr
		}
		d.log.Warn().Err(err).Str("topic", d.cfg.Topic).Msg("events topic not readable yet; retrying in 5s")
		if backoff.Sleep(ctx, 5*time.Second) != nil {
			return nil, ctx.Err()
		}
	}
}

// read feeds one partition's records, from the saved offset, into out.
func (d *detector) read(ctx context.Context, p kafka.Partition, offsets map[int]int64, out chan<- fetched, errc chan<- error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: d.brokers, Topic: p.Topic, Partition: p.ID,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond,
		Dialer: d.dialer,
	})
	defer r.Close()
	start := kafka.FirstOffset
	if off, ok := offsets[p.ID]; ok {
		start = off
	}
	if err := r.SetOffset(start); err != nil {
		errc <- fmt.Errorf("seek %s/%d to %d: %w", p.Topic, p.ID, start, err)
		return
	}
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				errc <- fmt.Errorf("read %s/%d: %w", p.Topic, p.ID, err)
			}
			return
		}
		select {
		case out <- fetched{msg: m}:
		case <-ctx.Done():
			return
		}
	}
}

// errRepartitioned ends a term when the events topic gained partitions: the
// next term reads them all.
var errRepartitioned = errors.New("the events topic gained partitions")

// repartitioned reports whether the events topic now has more partitions
// than this term reads (checked at most every ten seconds).
func (s *session) repartitioned(ctx context.Context) bool {
	if time.Since(s.checked) < 10*time.Second {
		return false
	}
	s.checked = time.Now()
	meta, err := s.admin.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{s.d.cfg.Topic}})
	if err != nil || len(meta.Topics) != 1 || meta.Topics[0].Error != nil {
		return false
	}
	return len(meta.Topics[0].Partitions) > len(s.parts)
}

// flushOutbox produces the alerts decided but not yet acknowledged. An
// alert whose record would exceed KAFKA_MAX_MESSAGE_BYTES is cut to fit
// (fitAlert), and the records are written in groups under that size, so
// that no produce request is refused for its size: a refused one would be
// refused again on every retry, and detect would restart in a loop.
func (d *detector) flushOutbox(ctx context.Context) error {
	pending, err := d.store.Pending(ctx, d.cfg.Name)
	if err != nil || len(pending) == 0 {
		return err
	}
	msgs := make([]kafka.Message, len(pending))
	for i, a := range pending {
		var hdr struct{ Actor, Rule, Severity string }
		_ = json.Unmarshal(a.Payload, &hdr)
		if msgs[i], err = d.fitAlert(alertMessage(d.cfg.AlertsTopic, a.ID, hdr.Rule, hdr.Severity, hdr.Actor, a.Payload)); err != nil {
			return err
		}
	}
	for _, g := range groups(msgs, d.cfg.MaxMessageBytes) {
		if err := d.pub.Write(ctx, g); err != nil {
			return fmt.Errorf("write %d alerts: %w", len(g), err)
		}
		ids := make([]string, len(g))
		for i, m := range g {
			ids[i] = headerOf(m, "alertId")
		}
		if err := d.store.Sent(ctx, d.cfg.Name, ids); err != nil {
			return err
		}
	}
	return nil
}

// maxAlertKey caps the key of an alert record that must be cut to fit (the
// actor): enough to keep a real member id whole.
const maxAlertKey = 256

// fitAlert returns msg, cut to KAFKA_MAX_MESSAGE_BYTES when it is larger:
// the key to maxAlertKey bytes and the alert by detect.Alert.MarshalFit,
// flagged "truncated":true, logged and counted.
func (d *detector) fitAlert(msg kafka.Message) (kafka.Message, error) {
	size := publish.Size(msg)
	if size <= d.cfg.MaxMessageBytes-recordReserve {
		return msg, nil
	}
	var a detect.Alert
	if err := json.Unmarshal(msg.Value, &a); err != nil {
		return msg, fmt.Errorf("alert %s: %d bytes over KAFKA_MAX_MESSAGE_BYTES, and not readable to cut: %w", headerOf(msg, "alertId"), size, err)
	}
	msg.Key = []byte(detect.CutKey(string(msg.Key), maxAlertKey))
	value, _, err := a.MarshalFit(d.cfg.MaxMessageBytes - recordReserve - (publish.Size(msg) - len(msg.Value)))
	if err != nil {
		return msg, fmt.Errorf("cut alert to KAFKA_MAX_MESSAGE_BYTES: %w", err)
	}
	msg.Value = value
	d.m.truncated.Inc()
	d.log.Warn().Str("alert", a.ID).Str("rule", a.Rule).Int("bytes", size).Int("max_bytes", d.cfg.MaxMessageBytes).
		Msg("alert larger than KAFKA_MAX_MESSAGE_BYTES: cut to fit and flagged truncated")
	return msg, nil
}

// testHeader returns the value of header key of m ("" when absent).
func headerOf(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// alertMessage is the record of one alert on the alerts topic (README,
// "Alerts"): keyed by actor (else rule), with the alert's id, rule and
// severity as headers.
func alertMessage(topic, id, rule, severity, actor string, payload []byte) kafka.Message {
	key := actor
	if key == "" {
		key = rule
	}
	return kafka.Message{Topic: topic, Key: []byte(key), Value: payload, Headers: []kafka.Header{
		{Key: "alertId", Value: []byte(id)},
		{Key: "rule", Value: []byte(rule)},
		{Key: "severity", Value: []byte(severity)},
		{Key: publish.HeaderContentType, Value: []byte("application/json")},
		{Key: publish.HeaderProducer, Value: []byte("pigment-detect")},
	}}
}

// session is the state of one leadership term between saves.
type session struct {
	d        *detector
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
}

func (s *session) handle(f fetched) {
	m := f.msg
	s.dirty = true
	s.offsets[m.Partition] = m.Offset + 1
	s.d.prog.processed(m.Partition, m.Offset+1)
	ev, err := transform.Parse(m.Value, transform.KindEvent)
	if err != nil {
		s.d.m.invalid.Inc()
		s.dead = append(s.dead, deadLetter(s.d.cfg.DLQTopic, m, err, s.d.cfg.MaxMessageBytes))
		return
	}
	s.d.m.events.Inc()
	for _, h := range m.Headers {
		if h.Key == publish.HeaderCompleteBefore {
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
	if bound.IsZero() {
		return bound
	}
	return bound.Add(-s.eng.Lateness())
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
	if !s.dirty {
		return nil
	}
	s.dirty = false
	if ends := s.ends(ctx); ends != nil {
		if wm := s.watermark(ends); !wm.IsZero() {
			s.pending = append(s.pending, s.eng.Advance(wm)...)
			s.d.m.watermark.Set(float64(wm.Unix()))
		}
	}
	for _, g := range groups(s.dead, s.d.cfg.MaxMessageBytes) {
		if err := s.d.pub.Write(ctx, g); err != nil {
			return fmt.Errorf("write %d dead letters: %w", len(g), err)
		}
	}
	s.dead = nil
	state, err := s.eng.MarshalState()
	if err != nil {
		return fmt.Errorf("marshal detector state: %w", err)
	}
	outbox := make([]detectstore.Alert, len(s.pending))
	for i, a := range s.pending {
		payload, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		outbox[i] = detectstore.Alert{ID: a.ID, Payload: payload}
		s.d.m.alerts.WithLabelValues(a.Rule, a.Severity).Inc()
	}
	snap := detectstore.Snapshot{State: state, Offsets: s.offsets, Complete: s.complete, Newest: s.newest, Watermark: s.eng.Watermark()}
	if err := s.d.store.Save(ctx, s.d.cfg.Name, snap, outbox); err != nil {
		return err
	}
	s.d.prog.saved()
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
		return nil // the outbox is empty: every earlier flush succeeded or ended the term
	}
	s.pending = s.pending[:0]
	return s.d.flushOutbox(ctx)
}

// deadLetter is the DLQ record of a record detect cannot read. One that
// would not fit maxBytes keeps the beginning of its value, flagged
// dlq.truncated with dlq.originalSize: refused whole by the brokers, it
// would stop detect at every save.
func deadLetter(topic string, m kafka.Message, cause error, maxBytes int) kafka.Message {
	h := append([]kafka.Header(nil), m.Headers...)
	h = append(h,
		kafka.Header{Key: publish.HeaderDLQReason, Value: []byte("invalid record: " + cause.Error())},
		kafka.Header{Key: publish.HeaderDLQStage, Value: []byte("detect")},
		kafka.Header{Key: "dlq.source.topic", Value: []byte(m.Topic)},
		kafka.Header{Key: "dlq.source.partition", Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: "dlq.source.offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
	)
	out := kafka.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: h}
	if publish.Size(out) > maxBytes-recordReserve {
		out.Headers = append(out.Headers,
			kafka.Header{Key: publish.HeaderDLQTruncated, Value: []byte("true")},
			kafka.Header{Key: publish.HeaderDLQSize, Value: []byte(strconv.Itoa(len(m.Value)))})
		over := publish.Size(out) - (maxBytes - recordReserve)
		out.Value = m.Value[:max(len(m.Value)-over, 0)]
	}
	return out
}

// recordReserve is kept free below KAFKA_MAX_MESSAGE_BYTES when detect cuts
// a record to fit: publish.Size estimates, and compression may add bytes.
const recordReserve = 512

// groups splits msgs, in order, into groups whose sizes add up to at most
// maxBytes (a record alone over it makes a group of its own), so that no
// produce request is refused for its size.
func groups(msgs []kafka.Message, maxBytes int) [][]kafka.Message {
	var out [][]kafka.Message
	start, size := 0, 0
	for i, m := range msgs {
		n := publish.Size(m)
		if i > start && size+n > maxBytes {
			out = append(out, msgs[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(msgs) {
		out = append(out, msgs[start:])
	}
	return out
}
