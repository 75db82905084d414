package report

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The runs a report lists: those that read events or failed in the
// period, and the first successful one past its end plus the overlap;
// not the empty polls, not the runs of other checkpoints or after.
func TestCoverageRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := mustArchive(t, "") // every migration, extract_runs too
	p, _ := ParseWeek("2026-W48") // 2026-11-23 to 2026-11-30
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, r := range []struct {
		name, since, started, status string
		produced                     int
	}{
		{"live", "2026-11-20T00:00:00Z", "2026-11-22T00:00:00Z", "ok", 5},     // 1: before the period
		{"live", "2026-11-21T23:50:00Z", "2026-11-24T00:00:00Z", "ok", 7},     // 2: listed
		{"live", "2026-11-23T23:50:00Z", "2026-11-24T00:00:30Z", "ok", 0},     // 3: an empty poll
		{"live", "2026-11-23T23:50:00Z", "2026-11-25T00:00:00Z", "failed", 0}, // 4: listed
		{"other", "2026-11-23T00:00:00Z", "2026-11-25T00:00:00Z", "ok", 9},    // 5: another checkpoint
		{"live", "2026-11-29T23:50:00Z", "2026-11-30T00:05:00Z", "ok", 3},     // 6: listed (since before the end)
		{"live", "2026-11-29T23:55:00Z", "2026-11-30T00:11:00Z", "ok", 0},     // 7: closes the period
		{"live", "2026-11-30T00:01:00Z", "2026-11-30T00:20:00Z", "ok", 4},     // 8: after the closing run
	} {
		_, err := pool.Exec(ctx, `INSERT INTO extract_runs (name, mode, since, started_at, ended_at, status, produced)
			VALUES ($1, 'run', $2, $3, $3, $4, $5)`, r.name, at(r.since), at(r.started), r.status, r.produced)
		if err != nil {
			t.Fatal(err)
		}
	}
	c := &Completeness{Checkpoints: pool, Checkpoint: "live", Overlap: 10 * time.Minute}
	runs, err := c.runs(ctx, p, p.End.Add(c.Overlap))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID+":"+r.Status)
	}
	if got, want := strings.Join(ids, " "), "2:ok 4:failed 6:ok 7:ok"; got != want {
		t.Errorf("runs = %s, want %s", got, want)
	}
}
