package main

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/detector"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
)

// runDetect is `detect run`: one active detector per DETECT_NAME (others
// stand by), its state and position saved in Postgres.
func runDetect(ctx context.Context, cfg *Config, log zerolog.Logger) error {
	rules, err := loadRules(cfg.RulesFile)
	if err != nil {
		return err
	}
	pool, err := cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	kc, closeKafka, err := daemon.OpenClients(&cfg.Kafka, "detect", cfg.MaxMessageBytes, log)
	if err != nil {
		return err
	}
	defer closeKafka() // after the detector is done with them

	reg := obs.NewRegistry()
	checkpoints := checkpoint.New(pool) // extract's progress
	d := detector.New(detector.Config{Name: cfg.Name, Topic: cfg.Topic, AlertsTopic: cfg.AlertsTopic, DLQTopic: cfg.DLQTopic,
		MaxMessageBytes: cfg.MaxMessageBytes, SaveEvery: cfg.SaveEvery, Rules: rules, Brokers: kc.Brokers,
		Dialer: kc.Dialer, Transport: kc.Transport, Extract: checkpoints, ExtractCheckpoint: checkpoint.Scoped(cfg.Workspace, "live"),
		Logger: log}, detector.NewStore(pool), kc.Pub, reg)
	role := daemon.NewRole()
	// A standby is healthy; the leader is while it makes progress.
	srv, err := daemon.Listen(cfg.MetricsAddr, reg, role.Health(nil, func() (bool, map[string]any) {
		return d.Health(cfg.StuckAfter)
	}), log)
	if err != nil {
		return err
	}
	return daemon.Run(ctx, func(wctx context.Context) error {
		err := leader.Run(wctx, pool, "detect:"+cfg.Name, cfg.StandbyPoll, log, role.Set, d.Run)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		return err
	}, srv.Run)
}
