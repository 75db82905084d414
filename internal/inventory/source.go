package inventory

import (
	"context"

	"github.com/pigment-siem/pipeline/internal/pigment"
)

// Source is where snapshots are read from: the Metadata API
// (*pigment.MetadataClient), or a fake workspace in tests. Each method
// returns the whole list (the API does not paginate); an error fails the
// snapshot, since a partial one would read as deletions, except a 404 for
// something a new listing no longer shows: it was deleted meanwhile.
type Source interface {
	Applications(ctx context.Context) ([]pigment.Application, error)
	Blocks(ctx context.Context, applicationID string) ([]pigment.Block, error)
	ImportConfigurations(ctx context.Context, applicationID, blockID string) ([]pigment.ImportConfiguration, error)
	Views(ctx context.Context, applicationID, blockID string) ([]pigment.View, error)
}
