package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/kpi"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
)

// sourceFunc builds the source snapshots are read from: newSource, or a
// fake workspace in tests.
type sourceFunc func(cfg *Config, pool *pgxpool.Pool, reg prometheus.Registerer, log zerolog.Logger) (inventory.Source, error)

// runInventory is `inventory once` and `inventory run`: one active
// inventory per PIGMENT_WORKSPACE (others stand by; the lock and the rate
// budget in DATABASE_URL), snapshots, open findings and the KPIs in the
// archive database, alerts to KAFKA_ALERTS_TOPIC.
func runInventory(ctx context.Context, cfg *Config, inv *daemon.Invocation, newSource sourceFunc) error {
	log := inv.Log
	pool, err := cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	archive, closeArchive, err := openArchive(ctx, cfg, pool)
	if err != nil {
		return err
	}
	defer closeArchive()
	reg := obs.NewRegistry()
	src, err := newSource(cfg, pool, reg, log)
	if err != nil {
		return err
	}
	kc, closeKafka, err := daemon.OpenClients(&cfg.Kafka, "inventory", cfg.MaxMessageBytes, log)
	if err != nil {
		return err
	}
	defer closeKafka() // after the publisher and the KPIs are done with them
	pub := kc.Pub
	store := inventory.NewStore(archive)
	k := newKPIs(cfg, archive, store, kc.Brokers, kc.Dialer, pub, kpi.NewMetrics(reg), log)
	icfg := inventory.Config{Policy: cfg.policy, AlertsTopic: cfg.AlertsTopic, MaxMessageBytes: cfg.MaxMessageBytes,
		Interval: cfg.Interval, Retention: cfg.Retention, ProgressEvery: cfg.ProgressEvery, Logger: log}
	lock := "inventory:" + cfg.Workspace
	if inv.Cmd == "once" {
		r := inventory.New(icfg, src, store, pub, reg)
		return leader.Run(ctx, pool, lock, cfg.StandbyPoll, log, nil, func(ctx context.Context) error {
			return once(ctx, r, k, inv)
		})
	}
	icfg.AfterSnapshot = k.afterSnapshot
	r := inventory.New(icfg, src, store, pub, reg)
	role := daemon.NewRole()
	srv, err := daemon.Listen(cfg.MetricsAddr, reg, role.Health(nil, r.Health), log)
	if err != nil {
		return err
	}
	return daemon.Run(ctx, func(wctx context.Context) error {
		defer role.Set("stopped")
		err := leader.Run(wctx, pool, lock, cfg.StandbyPoll, log, role.Set, func(ctx context.Context) error {
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error { return r.Run(ctx) })
			g.Go(func() error { return k.daily(ctx) })
			return g.Wait()
		})
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil // SIGTERM: a clean stop
		}
		return err
	}, srv.Run)
}

// once is `inventory once`: a snapshot, then today's KPIs; either failing
// fails the command.
func once(ctx context.Context, r *inventory.Runner, k *kpis, inv *daemon.Invocation) error {
	res, err := r.Once(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.Stdout, "snapshot %d: %d applications, %d blocks, %d changes, %d findings, %d new alerts\n",
		res.Summary.SnapshotID, res.Summary.Applications, res.Summary.Blocks, len(res.Changes), len(res.Findings), res.Alerts)
	kr, err := k.run(ctx, res.Summary.TakenAt)
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.Stdout, "kpis of %s: %d values, %d new alerts\n", kpi.Day(res.Summary.TakenAt).Format("2006-01-02"), len(kr.Values), kr.Alerts)
	return nil
}

// openArchive opens (and migrates) the archive database, or shares pool
// when ARCHIVE_DATABASE_URL is DATABASE_URL.
func openArchive(ctx context.Context, cfg *Config, pool *pgxpool.Pool) (*pgxpool.Pool, func(), error) {
	a := cfg.archive()
	if a.DatabaseURL == cfg.DatabaseURL {
		return pool, func() {}, nil
	}
	archive, err := a.Open(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("archive database: %w", err)
	}
	return archive, archive.Close, nil
}
