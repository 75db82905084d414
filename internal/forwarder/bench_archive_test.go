package forwarder_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
	"github.com/pigment-siem/pipeline/migrations"
)

// benchArchive is the archive sink on a fresh database of the local
// Postgres (TEST_DATABASE_URL), with the migrations and partitions in
// place, as forward run prepares it. Postgres's own CPU is not in the
// process's figures: it is another process, whose time server reports.
func benchArchive(b *testing.B) (archive *sinks.Postgres, server func() time.Duration) {
	u := testkit.MustPostgres(b)
	if err := migrations.Apply(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	p, err := sinks.NewPostgres(sinks.PostgresConfig{URL: u, MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	if _, err := p.Maintain(context.Background(), time.Now()); err != nil {
		b.Fatal(err)
	}
	return p, func() time.Duration { return backendsCPU(b, u) }
}

// backendsCPU is the CPU time the Postgres backends connected to the
// database at u have used: the sink's connections stay open in its pool,
// so the difference over a run is what Postgres spent archiving. It is 0
// when Postgres is not on this machine (its /proc entries unreadable).
func backendsCPU(b *testing.B, u string) time.Duration {
	var pids []int32
	if err := testkit.QueryRow(b, u, "SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &pids); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for _, pid := range pids {
		user, sys, err := testkit.CPUTimesOf(int(pid))
		if err != nil {
			return 0
		}
		cpu += user + sys
	}
	return cpu
}

// resetPeakRSS starts the process's peak resident size (VmHWM) again
// from its current size, so each run's peak is its own.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident size in bytes since the last
// resetPeakRSS, 0 when unknown.
func peakRSS() int64 {
	rss, _ := benchkit.PeakRSS(os.Getpid())
	return rss
}
