package inventory

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
	"github.com/pigment-siem/pipeline/internal/record"
)

// retryAfter bounds the wait after a failed snapshot (API, Postgres or
// Kafka down) before the next attempt.
const retryAfter = 15 * time.Minute

// Config configures a Runner.
type Config struct {
	Policy      *Policy
	AlertsTopic string
	// MaxMessageBytes is the brokers' record limit: larger alerts are cut.
	MaxMessageBytes int
	// Interval is the time between snapshots (Run).
	Interval time.Duration
	// Retention: snapshots older are deleted (0 keeps every one).
	Retention time.Duration
	// ProgressEvery is how often a snapshot in progress is logged.
	ProgressEvery time.Duration
	Logger        zerolog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// AfterSnapshot, when set, is called by Once after each snapshot saved
	// (the KPIs of the day); its failures are its own to report, not the
	// snapshot's.
	AfterSnapshot func(ctx context.Context, s Summary)
}

// Publisher writes records with acks from every in-sync replica
// (*publish.Publisher).
type Publisher interface {
	Write(ctx context.Context, msgs []kafka.Message) error
}

// Runner takes snapshots and alerts their findings. Once and Run must not
// be called concurrently (one leader); Health is safe for concurrent use.
type Runner struct {
	cfg   Config
	src   Source
	store *Store
	pub   Publisher
	m     *metrics

	mu       sync.Mutex
	lastOK   time.Time
	lastErr  error
	progress Progress
}

// New returns a Runner whose series are registered with reg.
func New(cfg Config, src Source, store *Store, pub Publisher, reg prometheus.Registerer) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Runner{cfg: cfg, src: src, store: store, pub: pub, m: newMetrics(reg)}
}

// Result is what one snapshot found and did.
type Result struct {
	Summary  Summary
	Changes  []Change
	Findings []Finding
	Alerts   int // alerts decided by this snapshot (new episodes, drift)
}

// Once takes a snapshot, compares it with the last one, saves it with its
// findings and writes the alerts of new findings, then deletes snapshots
// past the retention. Alerts left in the outbox by an earlier run are
// written first.
func (r *Runner) Once(ctx context.Context) (Result, error) {
	res, err := r.once(ctx)
	r.record(res, err)
	if err == nil && r.cfg.AfterSnapshot != nil {
		r.cfg.AfterSnapshot(ctx, res.Summary)
	}
	return res, err
}

// record keeps a snapshot's outcome for Health and the metrics.
func (r *Runner) record(res Result, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr = err
	if err != nil {
		r.m.snapshots.WithLabelValues("failed").Inc()
		return
	}
	r.lastOK = res.Summary.TakenAt
	r.m.snapshots.WithLabelValues("ok").Inc()
}

func (r *Runner) once(ctx context.Context) (Result, error) {
	start := time.Now()
	if err := r.flush(ctx); err != nil {
		return Result{}, err
	}
	snap, err := Take(ctx, r.src, r.cfg.Now().UTC().Truncate(time.Microsecond), r.onProgress())
	if err != nil {
		return Result{}, fmt.Errorf("snapshot: %w", err)
	}
	prev, err := r.previous(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Changes: Compare(prev, snap)}
	res.Findings = r.cfg.Policy.Evaluate(snap, res.Changes, nil)
	res.Summary = summarize(snap, res.Findings)
	d, err := r.store.Commit(ctx, snap, res.Summary, func(open map[string]OpenFinding) (Decision, error) {
		return decide(snap, res.Findings, open, r.cfg.MaxMessageBytes)
	})
	if err != nil {
		return res, err
	}
	res.Summary.SnapshotID, res.Alerts = snap.ID, len(d.Alerts)
	findingRules := make([]string, len(res.Findings))
	for i, f := range res.Findings {
		findingRules[i] = f.Rule
	}
	r.m.observe(res.Summary, findingRules, res.Changes)
	r.m.duration.Set(time.Since(start).Seconds())
	r.cfg.Logger.Info().Int64("snapshot", snap.ID).Int("applications", res.Summary.Applications).Int("blocks", res.Summary.Blocks).
		Int("changes", len(res.Changes)).Int("findings", len(res.Findings)).Int("new_alerts", len(d.Alerts)).
		Int("closed", len(d.Closed)).Dur("took", time.Since(start)).Msg("inventory snapshot saved")
	if err := r.flush(ctx); err != nil {
		return res, err
	}
	return res, r.prune(ctx, snap.TakenAt)
}

// previous loads the newest saved snapshot; nil when there is none.
func (r *Runner) previous(ctx context.Context) (*Snapshot, error) {
	id, ok, err := r.store.LatestID(ctx)
	if err != nil || !ok {
		return nil, err
	}
	return r.store.Load(ctx, id)
}

// onProgress records and logs (every ProgressEvery) a snapshot's progress.
func (r *Runner) onProgress() func(Progress) {
	lastLog := time.Now()
	requests := 0
	return func(p Progress) {
		r.m.requests.Add(float64(p.Requests - requests))
		requests = p.Requests
		r.m.progress.Set(float64(p.Done) / float64(max(p.Applications, 1)))
		r.mu.Lock()
		r.progress = p
		r.mu.Unlock()
		if r.cfg.ProgressEvery > 0 && time.Since(lastLog) >= r.cfg.ProgressEvery {
			lastLog = time.Now()
			r.cfg.Logger.Info().Int("applications", p.Applications).Int("done", p.Done).Int("blocks", p.Blocks).
				Int("requests", p.Requests).Msg("inventory snapshot in progress")
		}
	}
}

// flush writes the alerts in the outbox and removes them once Kafka
// acknowledged them.
func (r *Runner) flush(ctx context.Context) error {
	pending, err := r.store.Pending(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	msgs := make([]kafka.Message, len(pending))
	ids := make([]string, len(pending))
	for i, q := range pending {
		msgs[i] = record.Alert{ID: q.ID, Rule: q.Rule, Severity: q.Severity, Actor: q.RecordKey, JSON: q.Payload,
			Producer: record.ProducerInventory}.Message(r.cfg.AlertsTopic)
		ids[i] = q.ID
	}
	if err := r.pub.Write(ctx, msgs); err != nil {
		return fmt.Errorf("write %d inventory alerts: %w", len(msgs), err)
	}
	for _, q := range pending {
		r.m.alerts.WithLabelValues(q.Rule, q.Severity).Inc()
		r.cfg.Logger.Info().Str("alert", q.ID).Str("rule", q.Rule).Str("severity", q.Severity).Str("key", q.RecordKey).Msg("inventory finding alerted")
	}
	return r.store.Sent(ctx, ids)
}

// prune deletes the snapshots past the retention.
func (r *Runner) prune(ctx context.Context, now time.Time) error {
	if r.cfg.Retention <= 0 {
		return nil
	}
	n, err := r.store.Prune(ctx, now.Add(-r.cfg.Retention))
	if n > 0 {
		r.m.pruned.Add(float64(n))
		r.cfg.Logger.Info().Int64("snapshots", n).Msg("inventory snapshots past ARCHIVE_RETENTION deleted")
	}
	return err
}

// Run takes a snapshot every Interval until ctx ends: the first when the
// newest saved one is Interval old (at once when there is none), so a
// restart does not take an extra one. A failed snapshot is logged and
// tried again after at most 15 minutes; only ctx ends Run.
func (r *Runner) Run(ctx context.Context) error {
	next, err := r.firstRun(ctx)
	for {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.cfg.Logger.Error().Err(err).Msg("inventory snapshot failed; trying again")
			next = r.cfg.Now().Add(min(r.cfg.Interval, retryAfter))
		}
		if err := backoff.Sleep(ctx, time.Until(next)); err != nil {
			return err
		}
		next = r.cfg.Now().Add(r.cfg.Interval)
		_, err = r.Once(ctx)
	}
}

// firstRun is when the first snapshot is due. The newest saved snapshot's
// figures are the gauges' until then, so a restart does not blank them.
func (r *Runner) firstRun(ctx context.Context) (time.Time, error) {
	id, ok, err := r.store.LatestID(ctx)
	if err != nil || !ok {
		return r.cfg.Now(), err
	}
	sum, _, err := r.store.SummaryOf(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	findings, err := r.store.Findings(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	findingRules := make([]string, len(findings))
	for i, f := range findings {
		findingRules[i] = f.Rule
	}
	r.m.observe(sum, findingRules, nil)
	r.mu.Lock()
	r.lastOK = sum.TakenAt
	r.mu.Unlock()
	return sum.TakenAt.Add(r.cfg.Interval), nil
}

// Health is the leader's /healthz: healthy until a snapshot fails, and
// again once one succeeds; details say the last snapshot and the progress
// of the one under way.
func (r *Runner) Health() (bool, map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := map[string]any{"applications_done": r.progress.Done, "applications": r.progress.Applications}
	if !r.lastOK.IsZero() {
		d["last_snapshot"] = r.lastOK.Format(time.RFC3339)
	}
	if r.lastErr != nil && !errors.Is(r.lastErr, context.Canceled) {
		d["reason"] = r.lastErr.Error()
		return false, d
	}
	return true, d
}
