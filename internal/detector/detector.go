// Package detector is detect's runner: it reads the events topic, runs
// the rules of internal/detect over it, and writes alerts to the alerts
// topic, keeping its state, its position and an outbox of alerts in
// Postgres (Store). cmd/detect only wires it: configuration, construction,
// run under the leader lock.
//
// # Explicit partitions, offsets in Postgres
//
// Detect reads each partition of the events topic with a reader of its own
// from offsets it saved itself, not through a Kafka consumer group, because
// its position must be saved together with what it decided from it. The
// rules' state (open windows, baselines, suppression), the offsets it
// reflects and the alerts decided since the last save (an outbox) are saved
// in one Postgres transaction every save interval. After a crash it resumes
// from the saved state at the saved offsets, so it neither loses nor
// re-decides alerts; alerts are produced from the outbox and removed once
// Kafka acknowledged them, so one may be produced twice (same ID) but never
// lost. A group's committed offsets live in Kafka, apart from that state:
// committing them before the save would lose alerts after a crash, after it
// would count events twice. A group would also move partitions between
// members, and one detector must see all of them: windows are per actor and
// workspace-wide, and the watermark is the least of every partition's. So
// one active detector per name (the leader lock) reads every partition; a
// topic that gains partitions ends the term, and the next one reads them
// all. It is the one Kafka reader of the programs outside a group: forward
// run and replay-dlq read through internal/consumer, which reads only the
// partitions a group assigns, from the group's committed offsets.
package detector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// Config says what a Detector reads and writes, and how often it saves.
type Config struct {
	Name        string // names the saved state (DETECT_NAME)
	Topic       string // events
	AlertsTopic string
	DLQTopic    string
	// MaxMessageBytes is the brokers' record limit: larger alerts are cut.
	MaxMessageBytes int
	SaveEvery       time.Duration
	Rules           detect.RuleSet
	Brokers         []string
	// Dialer and Transport carry the brokers' TLS and SASL settings.
	Dialer    *kafka.Dialer
	Transport *kafka.Transport
	// Extract, when set, is extract's committed progress in the same
	// database; ExtractCheckpoint names its live checkpoint (see
	// extractMark). Nil, or no such checkpoint: the watermark follows the
	// records' completeBefore headers alone.
	Extract           extractProgress
	ExtractCheckpoint string
	Logger            zerolog.Logger
}

// extractProgress is extract's committed progress as detect reads it.
type extractProgress interface {
	// CompleteBefore returns the ingestion time before which every event
	// of checkpoint is in the events topic (zero: nothing known).
	CompleteBefore(ctx context.Context, checkpoint string) (time.Time, error)
}

var _ extractProgress = (*checkpoint.Store)(nil)

// Detector runs the rules over the events topic while it holds the lock.
// Windows are decided as the watermark passes them (see session.watermark).
// Run is not safe for concurrent use; Health and the metrics it registered
// are.
type Detector struct {
	cfg   *Config
	log   zerolog.Logger
	store *Store
	pub   *publish.Publisher
	m     *metrics
	prog  *progress // for /healthz and pigment_detect_lag
}

// New returns a Detector saving to store and writing with pub; it registers
// detect's series (pigment_detect_*) on reg.
func New(cfg Config, store *Store, pub *publish.Publisher, reg prometheus.Registerer) *Detector {
	prog := newProgress(cfg.Topic)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pigment_detect_lag",
		Help: "Records of the events topic not yet processed, when scraped (NaN: end offsets never read)."}, prog.lag))
	return &Detector{cfg: &cfg, log: cfg.Logger, store: store, pub: pub, m: newMetrics(reg), prog: prog}
}

// Health is the leader's /healthz: whether it makes progress, with details
// (see progress.check).
func (d *Detector) Health(stuckAfter time.Duration) (bool, map[string]any) {
	return d.prog.check(stuckAfter)
}

// Run runs leadership terms until ctx ends or one fails: a term that ends
// because the events topic gained partitions is followed by one reading
// them all, from the saved state.
func (d *Detector) Run(ctx context.Context) error {
	for {
		err := d.run(ctx)
		if !errors.Is(err, errRepartitioned) {
			return err
		}
		d.log.Warn().Msg("the events topic gained partitions; resuming from the saved state with all of them")
	}
}

// fetched is one record read.
type fetched struct {
	msg kafka.Message
}

// run is one leadership term.
func (d *Detector) run(ctx context.Context) error {
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
	var readers sync.WaitGroup
	defer func() {
		cancel()
		readers.Wait()
	}()
	for _, p := range parts {
		start := kafka.FirstOffset
		if off, ok := snap.Offsets[p.ID]; ok {
			start = off
		}
		readers.Go(func() { d.read(rctx, p, start, recs, errc) })
	}
	if snap.Complete == nil {
		snap.Complete = map[int]time.Time{}
	}
	s := &session{d: d, eng: eng, offsets: snap.Offsets, complete: snap.Complete, newest: snap.Newest,
		parts: parts, admin: &kafka.Client{Addr: kafka.TCP(d.cfg.Brokers...), Timeout: 10 * time.Second,
			Transport: d.cfg.Transport}}
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
func (d *Detector) restore(ctx context.Context) (*detect.Engine, Snapshot, error) {
	eng, err := detect.NewEngine(d.cfg.Rules)
	if err != nil {
		return nil, Snapshot{}, fmt.Errorf("rules: %w", err)
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
func (d *Detector) partitions(ctx context.Context) ([]kafka.Partition, error) {
	for {
		conn, err := d.cfg.Dialer.DialContext(ctx, "tcp", d.cfg.Brokers[0])
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

// read feeds one partition's records, from start (its saved offset, taken
// before the session moves the offsets on), into out.
func (d *Detector) read(ctx context.Context, p kafka.Partition, start int64, out chan<- fetched, errc chan<- error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: d.cfg.Brokers, Topic: p.Topic, Partition: p.ID,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 250 * time.Millisecond,
		Dialer: d.cfg.Dialer,
	})
	defer r.Close()
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
