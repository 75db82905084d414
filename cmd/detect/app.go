package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/detector"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/publish"
)

type app struct {
	cfg *Config
	log zerolog.Logger
}

func newApp(cfg *Config, logOut io.Writer) (*app, error) {
	log, err := cfg.Logger(logOut, "detect", cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &app{cfg: cfg, log: log}, nil
}

// runDetect is `detect run`: one active detector per DETECT_NAME (others
// stand by), its state and position saved in Postgres.
func (a *app) runDetect(ctx context.Context) error {
	rules, err := loadRules(a.cfg.RulesFile)
	if err != nil {
		return err
	}
	pool, err := a.cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	brokers, _, err := daemon.Brokers(&a.cfg.Kafka, false, "detect", a.log)
	if err != nil {
		return err
	}
	tr, err := a.cfg.Kafka.Transport("pigment-detect", a.log)
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections() // after the writer and the detector are done with it
	dialer, err := a.cfg.Kafka.Dialer("pigment-detect", a.log)
	if err != nil {
		return err
	}
	pub, err := publish.New(publish.Config{Brokers: brokers, Transport: tr, Compression: "lz4", MaxMessageBytes: a.cfg.MaxMessageBytes, Logger: a.log})
	if err != nil {
		return err
	}
	defer pub.Close()

	reg := obs.NewRegistry()
	checkpoints := checkpoint.New(pool) // extract's progress
	d := detector.New(detector.Config{Name: a.cfg.Name, Topic: a.cfg.Topic, AlertsTopic: a.cfg.AlertsTopic, DLQTopic: a.cfg.DLQTopic,
		MaxMessageBytes: a.cfg.MaxMessageBytes, SaveEvery: a.cfg.SaveEvery, Rules: rules, Brokers: brokers,
		Dialer: dialer, Transport: tr, Extract: checkpoints, ExtractCheckpoint: checkpoint.Scoped(a.cfg.Workspace, "live"),
		Logger: a.log}, detector.NewStore(pool), pub, reg)
	role := daemon.NewRole()
	// A standby is healthy; the leader is while it makes progress.
	srv, err := daemon.Listen(a.cfg.MetricsAddr, reg, role.Health(nil, func() (bool, map[string]any) {
		return d.Health(a.cfg.StuckAfter)
	}), a.log)
	if err != nil {
		return err
	}
	return daemon.Run(ctx, func(wctx context.Context) error {
		err := leader.Run(wctx, pool, "detect:"+a.cfg.Name, a.cfg.StandbyPoll, a.log, role.Set, d.Run)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		return err
	}, srv.Run)
}
