//go:build pgrestart

package extractor_test

// This test restarts the machine's Postgres cluster, which would break every
// other test running at the same time, so it is built only with the
// pgrestart tag and run on its own by `make test` after the others.

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

func TestPostgresRestartMidRun(t *testing.T) {
	h := newHarness(t, pigmentsim.Config{Seed: 23, History: 10 * time.Hour, HistoryEvents: 20000,
		SlowRate: 1, SlowDelay: 100 * time.Millisecond, LateFraction: -1})
	done := make(chan error, 1)
	go func() {
		_, err := h.extractor(h.config()).CatchUp(context.Background())
		done <- err
	}()
	time.Sleep(700 * time.Millisecond) // a few pages in
	select {
	case err := <-done:
		t.Fatalf("the run ended before the restart (%v): the test would prove nothing", err)
	default:
	}
	restartPostgres(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("CatchUp across a Postgres restart: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("CatchUp did not finish after Postgres came back")
	}
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
}

// restartPostgres restarts the local cluster (PG_RESTART_CMD overrides).
func restartPostgres(t *testing.T) {
	t.Helper()
	cmd := os.Getenv("PG_RESTART_CMD")
	if cmd == "" {
		versions, err := os.ReadDir("/etc/postgresql")
		if err != nil || len(versions) == 0 {
			t.Fatalf("no Postgres cluster under /etc/postgresql (set PG_RESTART_CMD): %v", err)
		}
		cmd = "pg_ctlcluster --skip-systemctl-redirect " + versions[0].Name() + " main restart"
	}
	start := time.Now()
	if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	for time.Since(start) < 30*time.Second {
		if exec.Command("pg_isready", "-h", "127.0.0.1", "-q").Run() == nil {
			t.Logf("Postgres restarted in %v", time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("Postgres not ready 30s after %q", strings.TrimSpace(cmd))
}
