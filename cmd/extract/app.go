package main

import (
	"context"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/budget"
	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// app holds what every command shares: configuration and the logger.
type app struct {
	cfg *Config
	log zerolog.Logger
}

// openStore applies migrations and opens the connection pool.
func (a *app) openStore(ctx context.Context) (*checkpoint.Store, *pgxpool.Pool, error) {
	pool, err := a.cfg.Database.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return checkpoint.New(pool), pool, nil
}

// migrate is the explicit form of what every command does at start.
func (a *app) migrate(ctx context.Context) error {
	if err := a.cfg.Database.Migrate(ctx); err != nil {
		return err
	}
	a.log.Info().Str("database", pgdsn.Redact(a.cfg.DatabaseURL)).Msg("migrations applied")
	return nil
}

// publisher connects to KAFKA_BROKERS or, with KAFKA_BROKERS=embedded,
// starts the in-process broker. The returned stop closes both.
func (a *app) publisher() (*publish.Publisher, func(), error) {
	brokers, stopBroker, err := daemon.Brokers(&a.cfg.Kafka, true, "extract", a.log)
	if err != nil {
		return nil, nil, err
	}
	tr, err := a.cfg.Kafka.Transport("pigment-extract", a.log)
	if err != nil {
		stopBroker()
		return nil, nil, err
	}
	pub, err := publish.New(publish.Config{
		Brokers: brokers, Transport: tr, Compression: a.cfg.Compression, MaxMessageBytes: a.cfg.MaxMessageBytes, Logger: a.log,
	})
	if err != nil {
		stopBroker()
		return nil, nil, err
	}
	return pub, func() {
		if err := pub.Close(); err != nil {
			a.log.Warn().Err(err).Msg("close kafka writer")
		}
		tr.CloseIdleConnections() // the writer leaves its transport's connections open
		stopBroker()
	}, nil
}

// client builds the API client drawing from the budget shared by every
// process calling this API host, whatever its key: Pigment's limit is per
// IP, for every endpoint (none when PIGMENT_RATE_LIMIT=off).
func (a *app) client(pool *pgxpool.Pool, class budget.Class, reg prometheus.Registerer) (*pigment.Client, error) {
	if err := a.cfg.needKey(); err != nil {
		return nil, err
	}
	cfg := pigment.Config{
		BaseURL:     a.cfg.APIURL,
		APIKey:      a.cfg.APIKey,
		HTTPClient:  &http.Client{Timeout: a.cfg.HTTPTimeout},
		MaxAttempts: a.cfg.MaxAttempts,
		Logger:      a.log,
		Observe:     daemon.ObserveAPI(reg),
	}
	var err error
	if cfg.Limiter, cfg.RateWindow, err = a.cfg.RateBudget.Limiter(pool, a.cfg.APIURL, class, reg, a.log); err != nil {
		return nil, err
	}
	return pigment.New(cfg)
}
