package main

import (
	"context"
	"testing"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The report's sessions on the archive compile no query (jit off): a
// monthly audit's queries cost enough for Postgres to JIT-compile them,
// which took 5 of the 6 s the audit of a 400,000-event archive took. An
// archive URL that sets jit itself keeps its choice.
func TestArchiveSessionsWithoutJIT(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := testkit.MustPostgres(t)
	for _, c := range []struct{ url, want string }{{u, "off"}, {u + "&jit=on", "on"}} {
		a := &app{cfg: &Config{Database: daemon.Database{DatabaseURL: c.url}}}
		pool, err := a.openArchive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = pool.QueryRow(ctx, "SHOW jit").Scan(&jit)
		pool.Close()
		if err != nil || jit != c.want {
			t.Errorf("archive session of %s: jit = %q, %v; want %s", c.url, jit, err, c.want)
		}
	}
}
