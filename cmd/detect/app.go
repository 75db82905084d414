package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/detector"
	"github.com/pigment-siem/pipeline/internal/leader"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/migrations"
)

type app struct {
	cfg *Config
	log zerolog.Logger
}

func newApp(cfg *Config, logOut io.Writer) (*app, error) {
	log, err := obs.NewLogger(pgdsn.Writer(logOut, cfg.DatabaseURL), cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &app{cfg: cfg, log: log.With().Str("service", "detect").Logger()}, nil
}

// runDetect is `detect run`: one active detector per DETECT_NAME (others
// stand by), its state and position saved in Postgres.
func (a *app) runDetect(ctx context.Context) error {
	rules, err := loadRules(a.cfg.RulesFile)
	if err != nil {
		return err
	}
	if err := migrations.Apply(ctx, a.cfg.DatabaseURL); err != nil {
		return fmt.Errorf("migrate database at %s: %w", pgdsn.Redact(a.cfg.DatabaseURL), pgdsn.Scrub(err, a.cfg.DatabaseURL))
	}
	pool, err := pgxpool.New(ctx, a.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("connect to database at %s: %w", pgdsn.Redact(a.cfg.DatabaseURL), pgdsn.Scrub(err, a.cfg.DatabaseURL))
	}
	defer pool.Close()
	brokers := a.cfg.Kafka.Addrs()
	if a.cfg.Kafka.Embedded() {
		a.log.Warn().Str("broker", a.cfg.Kafka.EmbeddedAddr).Msg("KAFKA_BROKERS=embedded: reading the in-memory broker that extract starts for trying out")
	}
	tr, err := a.cfg.Kafka.Transport("pigment-detect", a.log)
	if err != nil {
		return err
	}
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
	var role atomic.Value
	role.Store("starting")
	srv, err := obs.Listen(a.cfg.MetricsAddr, reg, func() (bool, any) {
		r := role.Load()
		if r != "leader" {
			return true, map[string]any{"role": r} // standing by is healthy
		}
		ok, details := d.Health(a.cfg.StuckAfter)
		details["role"] = r
		return ok, details
	})
	if err != nil {
		return err
	}
	a.log.Info().Str("addr", srv.Addr()).Msg("serving /metrics and /healthz")
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go func() {
		if err := srv.Run(sctx); err != nil {
			a.log.Error().Err(err).Msg("metrics server stopped; /metrics and /healthz are gone")
		}
	}()

	err = leader.Run(ctx, pool, "detect:"+a.cfg.Name, a.cfg.StandbyPoll, a.log,
		func(r string) { role.Store(r) }, d.Run)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}
