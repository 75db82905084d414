package main

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/budget"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// newSource is the Metadata API client snapshots are read from. It draws
// on the rate budget of PIGMENT_API_URL's host that extract shares in
// pool (DATABASE_URL), in the background class: below the live
// extractor's reserve, and never ahead of its recent pace, so a snapshot
// of thousands of requests neither causes a 429 nor delays live
// extraction (package budget).
func newSource(cfg *Config, pool *pgxpool.Pool, reg prometheus.Registerer, log zerolog.Logger) (inventory.Source, error) {
	mc := pigment.MetadataConfig{
		BaseURL: cfg.APIURL, APIKey: cfg.APIKey, HTTPClient: &http.Client{Timeout: cfg.HTTPTimeout},
		MaxAttempts: cfg.MaxAttempts, Logger: log, Observe: daemon.ObserveAPI(reg),
	}
	var err error
	if mc.Limiter, mc.RateWindow, err = cfg.RateBudget.Limiter(pool, cfg.APIURL, budget.Background, reg, log); err != nil {
		return nil, err
	}
	return pigment.NewMetadata(mc)
}
