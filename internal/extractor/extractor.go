// Package extractor moves Pigment audit events into Kafka, one run at a
// time, keeping its progress in Postgres so that any crash resumes where the
// last acknowledged page left off.
//
// A run pages the API from a fixed ingestedSince (the committed watermark
// minus an overlap) until the last page. Each page is written to Kafka and
// acknowledged before the page is committed (its cursor, high-water mark and
// event IDs, in one transaction). The watermark moves only when the run
// ends. Event IDs produced in the overlap are remembered, so events served
// again are not produced twice; a crash between Kafka's acknowledgement and
// the commit re-produces at most that one page.
package extractor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// pageSource is the Pigment API as the extractor uses it.
type pageSource interface {
	FetchPage(ctx context.Context, since time.Time, cursor string) (*pigment.Page, error)
}

// recordWriter writes records and returns nil only once Kafka acknowledged
// all of them.
type recordWriter interface {
	Write(ctx context.Context, msgs []kafka.Message) error
}

// Config says which checkpoint an Extractor advances and how.
type Config struct {
	Checkpoint string // "live" or "backfill:<name>"
	Mode       string // "run", "once" or "backfill": recorded with each run
	Topic      string
	DLQTopic   string
	// MaxMessageBytes: larger events go to the dead-letter topic, cut to fit.
	MaxMessageBytes int
	// Overlap is re-queried before the watermark on every run, to catch
	// events that became visible late with an older ingestion time.
	Overlap time.Duration
	// InitialLookback is how far back the first live run starts.
	InitialLookback time.Duration
	// From and Until bound a backfill (Until zero for live runs).
	From, Until time.Time
	// MaxClockSkew is how far past the local clock (at the run's start) an
	// ingestion time may lie before its event counts as stamped in the
	// future: produced, counted and logged. Whatever the skew, the
	// watermark and the completeBefore header stop at the run's start, so
	// events ingested meanwhile are still requested, overlap or not.
	// Zero: one minute.
	MaxClockSkew time.Duration
	// Lookback is the API's retention (180 days): older starts are clamped.
	Lookback time.Duration
	// ProgressEvery is the interval of progress lines during long runs.
	ProgressEvery time.Duration
	// StoreRetryFor bounds how long Postgres errors are retried (a restart
	// of Postgres is ridden out) before the run fails loudly.
	StoreRetryFor time.Duration
	Logger        zerolog.Logger
	Metrics       *Metrics
	Now           func() time.Time
}

// Extractor runs extraction for one checkpoint. It is not safe for
// concurrent use: one process per checkpoint holds the leader lock.
type Extractor struct {
	cfg   Config
	api   pageSource
	out   recordWriter
	store *checkpoint.Store
}

// New returns an Extractor with defaults filled in.
func New(cfg Config, api pageSource, out recordWriter, store *checkpoint.Store) *Extractor {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 180 * 24 * time.Hour
	}
	if cfg.InitialLookback <= 0 || cfg.InitialLookback > cfg.Lookback {
		cfg.InitialLookback = cfg.Lookback
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	if cfg.StoreRetryFor <= 0 {
		cfg.StoreRetryFor = 5 * time.Minute
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = time.Minute
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 1_000_000
	}
	return &Extractor{cfg: cfg, api: api, out: out, store: store}
}

// Result summarises one finished run.
type Result struct {
	Run       checkpoint.Run
	Watermark time.Time
	// AlreadyComplete is set when a backfill had finished before.
	AlreadyComplete bool
	// Backlog is set when the run produced at least a full page of new
	// events (as many as its largest page that had a next page): more are
	// probably waiting, so a poller goes on at once.
	Backlog bool
}

// Poll catches up, then again every interval (counted from each run's
// start), until ctx ends. A run that read a full page of new events (one
// page or more, and the API had more pages) starts the next at once: a
// backlog is caught up at the pace of the rate budget, not of the interval.
// A failed run is logged and retried after the interval; it resumes at its
// cursor.
func (x *Extractor) Poll(ctx context.Context, interval time.Duration) error {
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		started := time.Now()
		res, err := x.CatchUp(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if permanent(err) {
				return err
			}
			x.cfg.Metrics.health().runFailed(err)
			x.cfg.Logger.Error().Err(err).Dur("retry_in", interval).Msg("run failed; it resumes at its cursor")
		}
		wait := interval - time.Since(started)
		if err == nil && res.Backlog {
			wait = 0
		}
		t.Reset(max(wait, 0))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// CatchUp resumes the run in progress, or starts one from the watermark, and
// pages to the end. It returns when the run is finished and committed.
func (x *Extractor) CatchUp(ctx context.Context) (Result, error) {
	// The watermark never passes the time this run began (local clock):
	// what is ingested from then on is the next run's.
	start := x.cfg.Now()
	run, scope, done, err := x.startRun(ctx, start)
	if err != nil || done {
		return Result{AlreadyComplete: done}, err
	}
	log := x.cfg.Logger.With().Str("checkpoint", run.Name).Int64("run", run.ID).Logger()
	log.Info().Time("since", run.Since).Bool("resumed", run.Cursor != "").Msg("run started")
	prog := newProgress(x.cfg, run, log)
	if err := x.pageThrough(ctx, run, scope, start, prog, log); err != nil {
		if errors.Is(err, checkpoint.ErrRunSuperseded) {
			x.cfg.Metrics.runEnded(run.Name, "superseded")
			log.Warn().Msg("run superseded by an operator reset; the next run starts from the new checkpoint")
			return Result{Run: *run}, err
		}
		x.cfg.Metrics.runEnded(run.Name, "failed")
		x.failRun(run, err, log)
		return Result{Run: *run}, fmt.Errorf("run %d of %s: %w", run.ID, run.Name, err)
	}
	var wm time.Time
	err = x.retryStore(ctx, "finish run", func(ctx context.Context) error {
		var err error
		wm, err = x.store.FinishRun(ctx, run, x.cfg.Overlap, x.upTo(run, start))
		return err
	})
	if err != nil {
		x.cfg.Metrics.runEnded(run.Name, "failed")
		return Result{Run: *run}, fmt.Errorf("finish run %d of %s: %w", run.ID, run.Name, err)
	}
	x.cfg.Metrics.runEnded(run.Name, "ok")
	if m := x.cfg.Metrics; m != nil && !wm.IsZero() {
		m.Watermark.WithLabelValues(run.Name).Set(float64(wm.Unix()))
	}
	x.cfg.Metrics.health().runOK(run.Name, wm)
	log.Info().Int64("pages", run.Pages).Int64("fetched", run.Fetched).Int64("produced", run.Produced).
		Int64("dlq", run.DLQ).Int64("duplicates", run.Duplicates).Int64("skipped", run.Skipped).
		Time("watermark", wm).Dur("took", time.Since(run.StartedAt)).Msg("run finished")
	return Result{Run: *run, Watermark: wm, Backlog: prog.backlog()}, nil
}

// startRun loads the checkpoint and returns the run to continue, and which
// of its events may have been produced before.
func (x *Extractor) startRun(ctx context.Context, start time.Time) (*checkpoint.Run, *lookupScope, bool, error) {
	var cp checkpoint.Checkpoint
	err := x.retryStore(ctx, "load checkpoint", func(ctx context.Context) error {
		var err error
		cp, err = x.store.Load(ctx, x.cfg.Checkpoint)
		return err
	})
	if err != nil {
		return nil, nil, false, fmt.Errorf("load checkpoint %q: %w", x.cfg.Checkpoint, err)
	}
	x.cfg.Metrics.health().loaded(x.cfg.Checkpoint, cp.Watermark)
	if cp.Run != nil {
		// A resumed run may have been restarted before: look everything up.
		return cp.Run, &lookupScope{all: true}, false, nil
	}
	// Events stamped in the future were produced beyond the watermark.
	upTo := maxTime(cp.Watermark, cp.SeenHigh)
	if cp.Complete {
		x.cfg.Logger.Info().Str("checkpoint", cp.Name).Msg("backfill already complete; nothing to do")
		return nil, nil, true, nil
	}
	since := x.since(cp, start)
	var run *checkpoint.Run
	err = x.retryStore(ctx, "begin run", func(ctx context.Context) error {
		var err error
		run, err = x.store.BeginRun(ctx, x.cfg.Checkpoint, x.cfg.Mode, since, x.cfg.Until)
		return err
	})
	return run, &lookupScope{upTo: upTo}, false, err
}

// lookupScope says which events of a run need the seen-ID lookup. Earlier
// runs produced nothing ingested after the watermark, save events stamped in
// the future (up to the checkpoint's SeenHigh), so in a fresh run only the
// overlap and those need one; after a cursor restart, or in a resumed run, every
// event does. It saves a Postgres round trip on almost every page.
type lookupScope struct {
	all  bool
	upTo time.Time
}

// needs compares at the precision Postgres stored upTo (microseconds): an
// event ingested at .178071649 is the very event whose time was stored as
// .178071, and comparing the original with the stored value would call it
// new and produce it again on every run.
func (s *lookupScope) needs(ev event.Event) bool {
	return s.all || !checkpoint.Stored(ev.Ingested).After(s.upTo)
}

// since is where a new run starts: the watermark minus the overlap, or the
// configured start for a first run, never before the API's lookback. A
// watermark past now (set by an older version, or by a reset --force into
// the future) is read as now, with a warning: it would hide every event
// ingested until then. The run's end brings it back to the run's start.
func (x *Extractor) since(cp checkpoint.Checkpoint, now time.Time) time.Time {
	var since time.Time
	switch {
	case cp.Watermark.After(now):
		since = now.Add(-x.cfg.Overlap)
		x.cfg.Logger.Warn().Str("checkpoint", cp.Name).Time("watermark", cp.Watermark).Time("since", since).
			Msg("the watermark is in the future: querying from now minus PIGMENT_OVERLAP instead; the run's end brings the watermark back to now")
	case !cp.Watermark.IsZero():
		since = cp.Watermark.Add(-x.cfg.Overlap)
	case !x.cfg.From.IsZero():
		since = x.cfg.From
	default:
		since = now.Add(-x.cfg.InitialLookback)
	}
	return x.clamp(since).UTC()
}

// lookbackMargin keeps a run's start this far inside the API's lookback, so
// that it is still accepted on the run's last page.
const lookbackMargin = time.Hour

// clamp moves since inside the API's lookback, with a warning: events older
// than that are no longer served by Pigment.
func (x *Extractor) clamp(since time.Time) time.Time {
	now := x.cfg.Now()
	t, clamped := pigment.ClampSince(since, now, x.cfg.Lookback-lookbackMargin)
	if clamped && since.Before(now.Add(-x.cfg.Lookback-time.Minute)) { // not for the margin alone
		x.cfg.Logger.Warn().Time("wanted", since).Time("since", t).
			Msg("start is older than the API's lookback; events before it are no longer served")
	}
	return t
}

// upTo bounds the watermark a run leaves: its start, for live and once
// runs (a backfill's is its Until).
func (x *Extractor) upTo(run *checkpoint.Run, start time.Time) time.Time {
	if run.Mode == checkpoint.ModeBackfill {
		return time.Time{}
	}
	return start
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (x *Extractor) failRun(run *checkpoint.Run, cause error, log zerolog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := x.store.FailRun(ctx, run, cause.Error()); err != nil {
		log.Warn().Err(err).Msg("could not record the run's failure; its cursor is kept anyway")
	}
}
