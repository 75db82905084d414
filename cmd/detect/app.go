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
	"github.com/pigment-siem/pipeline/internal/publish"
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
	brokers, _, err := daemon.Brokers(&cfg.Kafka, false, "detect", log)
	if err != nil {
		return err
	}
	tr, err := cfg.Kafka.Transport("pigment-detect", log)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections() // after the writer and the detector are done with it
	dialer, err := cfg.Kafka.Dialer("pigment-detect", log)
	if err != nil {
		return err
	}
	pub, err := publish.New(publish.Config{Brokers: brokers, Transport: tr, Compression: "lz4", MaxMessageBytes: cfg.MaxMessageBytes, Logger: log})
	if err != nil {
		return err
	}
	defer pub.Close()

	reg := obs.NewRegistry()
	checkpoints := checkpoint.New(pool) // extract's progress
	d := detector.New(detector.Config{Name: cfg.Name, Topic: cfg.Topic, AlertsTopic: cfg.AlertsTopic, DLQTopic: cfg.DLQTopic,
		MaxMessageBytes: cfg.MaxMessageBytes, SaveEvery: cfg.SaveEvery, Rules: rules, Brokers: brokers,
		Dialer: dialer, Transport: tr, Extract: checkpoints, ExtractCheckpoint: checkpoint.Scoped(cfg.Workspace, "live"),
		Logger: log}, detector.NewStore(pool), pub, reg)
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
