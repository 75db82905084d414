package main

import (
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
)

// newSource is the Metadata API client snapshots are read from, drawing
// on the rate budget extract shares in Postgres (pool), below the live
// extractor's reserve.
//
// TODO(issue 12, at merge): return *pigment.MetadataClient built from
// PIGMENT_API_URL, PIGMENT_METADATA_API_KEY, PIGMENT_HTTP_TIMEOUT and the
// budget; until then the commands that call the API stop here.
func newSource(cfg *Config, pool *pgxpool.Pool, log zerolog.Logger) (inventory.Source, error) {
	return nil, errors.New("metadata client not built yet")
}
