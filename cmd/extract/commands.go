package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/pigment-siem/pipeline/internal/budget"
	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

const (
	liveCheckpoint     = "live"
	defaultMetricsAddr = ":9101"
)

// job is what a command runs once it holds the leader lock.
type job func(ctx context.Context, x *extractor.Extractor) error

// extraction wires store, publisher, client, metrics and leader election
// around a job: the shared skeleton of run, once and backfill.
func (a *app) extraction(ctx context.Context, xc extractor.Config, class budget.Class, lockName, metricsAddr string, j job) error {
	if err := a.cfg.needKey(); err != nil {
		return err
	}
	store, pool, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := obs.NewRegistry()
	client, err := a.client(pool, class, reg)
	if err != nil {
		return err
	}
	pub, closePub, err := a.publisher()
	if err != nil {
		return err
	}
	defer closePub()

	role := daemon.NewRole()
	xc.Topic, xc.DLQTopic, xc.MaxMessageBytes = a.cfg.Topic, a.cfg.DLQTopic, a.cfg.MaxMessageBytes
	xc.Overlap, xc.InitialLookback = time.Duration(a.cfg.Overlap), time.Duration(a.cfg.InitialLookback)
	xc.MaxClockSkew = a.cfg.MaxClockSkew
	xc.ProgressEvery, xc.Logger, xc.Metrics = a.cfg.ProgressEvery, a.log, extractor.NewMetrics(reg)
	x := extractor.New(xc, client, pub, store)
	setRole := func(r string) {
		if r == "leader" {
			xc.Metrics.Health.Lead()
		}
		role.Set(r)
	}

	var background []func(context.Context) error
	if metricsAddr != "" {
		// A standby is healthy; the leader is if it made progress lately.
		srv, err := daemon.Listen(metricsAddr, reg, role.Health(map[string]any{"checkpoint": xc.Checkpoint}, func() (bool, map[string]any) {
			ok, d := xc.Metrics.Health.Check(a.cfg.poll().Quiet())
			if e, ok := d["last_error"].(string); ok { // errors are scrubbed where returned; once more here
				d["last_error"] = pgdsn.Scrub(errors.New(e), a.cfg.DatabaseURL).Error()
			}
			return ok, d
		}), a.log)
		if err != nil {
			return err
		}
		background = append(background, srv.Run)
	}
	return daemon.Run(ctx, func(wctx context.Context) error {
		defer role.Set("stopped")
		err := leader.Run(wctx, pool, lockName, a.cfg.StandbyPoll, a.log, setRole,
			func(ctx context.Context) error { return j(ctx, x) })
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil // SIGTERM: a clean stop
		}
		return err
	}, background...)
}

func (a *app) runLive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	xc := extractor.Config{Checkpoint: a.checkpointName(liveCheckpoint), Mode: "run"}
	poll := a.cfg.poll()
	if poll.Derived {
		a.log.Info().Dur("interval", poll.Interval).Float64("share", float64(a.cfg.PollShare)).Float64("requests_per_day", poll.PerDay).
			Msg("poll interval derived from PIGMENT_POLL_SHARE of PIGMENT_RATE_LIMIT (one request per page; a poll that reads a full page of new events goes on at once)")
	} else {
		a.log.Info().Dur("interval", poll.Interval).Float64("requests_per_day", poll.PerDay).
			Msg("PIGMENT_POLL_INTERVAL is set: PIGMENT_POLL_SHARE is ignored")
	}
	return a.extraction(ctx, xc, budget.Live, a.lockName(liveCheckpoint), cmp.Or(a.cfg.MetricsAddr, defaultMetricsAddr),
		func(ctx context.Context, x *extractor.Extractor) error { return x.Poll(ctx, poll.Interval) })
}

func (a *app) runOnce(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("once", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	xc := extractor.Config{Checkpoint: a.checkpointName(liveCheckpoint), Mode: "once"}
	return a.extraction(ctx, xc, budget.Live, a.lockName(liveCheckpoint), a.cfg.MetricsAddr, catchUp)
}

func (a *app) runBackfill(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("backfill", flag.ContinueOnError)
	from := fs.String("from", "", "start of the ingestion-time range (inclusive), RFC 3339 or a date")
	to := fs.String("to", "", "end of the range (exclusive), RFC 3339 or a date")
	name := fs.String("name", "", "backfill name (default: FROM_TO); the same name resumes")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	t1, err1 := parseTime(*from)
	t2, err2 := parseTime(*to)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("backfill --from and --to: %w", err)
	}
	if !t1.Before(t2) {
		return fmt.Errorf("backfill: --from %s must be before --to %s", t1.Format(time.RFC3339), t2.Format(time.RFC3339))
	}
	if *name == "" {
		*name = t1.Format("20060102T150405Z") + "_" + t2.Format("20060102T150405Z")
	}
	cp := "backfill:" + *name
	xc := extractor.Config{Checkpoint: a.checkpointName(cp), Mode: "backfill", From: t1, Until: t2}
	return a.extraction(ctx, xc, budget.Backfill, a.lockName(cp), a.cfg.MetricsAddr, catchUp)
}

// catchUp is the job of once and backfill: up to now (or --to), then stop.
func catchUp(ctx context.Context, x *extractor.Extractor) error {
	_, err := x.CatchUp(ctx)
	return err
}

// checkpointName scopes a checkpoint to the workspace, so one database can
// serve several workspaces.
func (a *app) checkpointName(name string) string { return checkpoint.Scoped(a.cfg.Workspace, name) }

func (a *app) lockName(name string) string { return "extract:" + a.cfg.Workspace + ":" + name }

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("a time is required")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", s)
}
