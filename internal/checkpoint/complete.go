package checkpoint

import (
	"context"
	"fmt"
	"time"
)

// CompleteBefore returns the ingestion time before which every event of
// checkpoint name is in the topic, as far as its committed runs vouch: the
// later of its watermark and the start of its last finished run (a run
// serves every event ingested before it began, and is finished only once
// Kafka acknowledged all of them). Zero when no run of name has finished.
//
// The watermark stays put while nothing new is ingested; the start of the
// last finished run keeps moving with each poll, so a reader can tell that
// a quiet hour is over. Its clock is Postgres's: a reader bounds it by its
// own clock. Events that become visible later than they were ingested are
// not covered, as for the watermark (the overlap re-reads them).
func (s *Store) CompleteBefore(ctx context.Context, name string) (time.Time, error) {
	var watermark, started *time.Time
	err := s.pool.QueryRow(ctx, `
SELECT (SELECT watermark FROM checkpoints WHERE name = $1),
       (SELECT started_at FROM extract_runs WHERE name = $1 AND status = 'ok' ORDER BY id DESC LIMIT 1)`,
		name).Scan(&watermark, &started)
	if err != nil {
		return time.Time{}, fmt.Errorf("read checkpoint %q: %w", name, err)
	}
	if started == nil {
		return time.Time{}, nil
	}
	return maxTime(utc(watermark), utc(started)), nil
}

// Scoped is the name of checkpoint name of a workspace: as is for the
// workspace "default", else prefixed with the workspace, so one database
// can serve several workspaces.
func Scoped(workspace, name string) string {
	if workspace == "default" {
		return name
	}
	return workspace + "/" + name
}
