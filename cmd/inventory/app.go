package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// sourceFunc builds the source snapshots are read from: newSource, or a
// fake workspace in tests.
type sourceFunc func(cfg *Config, pool *pgxpool.Pool, log zerolog.Logger) (inventory.Source, error)

// runInventory is `inventory once` and `inventory run`: one active
// inventory per PIGMENT_WORKSPACE (others stand by), snapshots and open
// findings in Postgres, alerts to KAFKA_ALERTS_TOPIC.
func runInventory(ctx context.Context, cfg *Config, inv *daemon.Invocation, newSource sourceFunc) error {
	log := inv.Log
	pool, err := cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	src, err := newSource(cfg, pool, log)
	if err != nil {
		return err
	}
	brokers, _, err := daemon.Brokers(&cfg.Kafka, false, "inventory", log)
	if err != nil {
		return err
	}
	tr, err := cfg.Kafka.Transport("pigment-inventory", log)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections() // after the publisher is done with it
	pub, err := publish.New(publish.Config{Brokers: brokers, Transport: tr, Compression: "lz4", MaxMessageBytes: cfg.MaxMessageBytes, Logger: log})
	if err != nil {
		return err
	}
	defer pub.Close()
	reg := obs.NewRegistry()
	r := inventory.New(inventory.Config{Policy: cfg.policy, AlertsTopic: cfg.AlertsTopic, MaxMessageBytes: cfg.MaxMessageBytes,
		Interval: cfg.Interval, Retention: cfg.Retention, ProgressEvery: cfg.ProgressEvery, Logger: log},
		src, inventory.NewStore(pool), pub, reg)
	lock := "inventory:" + cfg.Workspace
	if inv.Cmd == "once" {
		return leader.Run(ctx, pool, lock, cfg.StandbyPoll, log, nil, func(ctx context.Context) error {
			res, err := r.Once(ctx)
			if err == nil {
				fmt.Fprintf(inv.Stdout, "snapshot %d: %d applications, %d blocks, %d changes, %d findings, %d new alerts\n",
					res.Summary.SnapshotID, res.Summary.Applications, res.Summary.Blocks, len(res.Changes), len(res.Findings), res.Alerts)
			}
			return err
		})
	}
	role := daemon.NewRole()
	srv, err := daemon.Listen(cfg.MetricsAddr, reg, role.Health(nil, r.Health), log)
	if err != nil {
		return err
	}
	return daemon.Run(ctx, func(wctx context.Context) error {
		defer role.Set("stopped")
		err := leader.Run(wctx, pool, lock, cfg.StandbyPoll, log, role.Set, r.Run)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil // SIGTERM: a clean stop
		}
		return err
	}, srv.Run)
}
