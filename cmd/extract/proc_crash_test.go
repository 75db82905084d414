package main

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// TestKill9LosesNothing kills `extract once` with SIGKILL at random moments
// of a 15-page backlog, then lets it finish: every event reaches the topic,
// nothing else does, and each crash re-produces at most one page.
func TestKill9LosesNothing(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{
		Seed: 21, History: 12 * time.Hour, HistoryEvents: 20000,
		SlowRate: 1, SlowDelay: 80 * time.Millisecond, LateFraction: -1,
	})
	env := s.env(nil)

	const kills = 5
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delays seeded with %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	interrupted := 0
	for i := range kills {
		p := startExtract(t, env, "once")
		delay := time.Duration(100+rng.IntN(501)) * time.Millisecond
		time.Sleep(delay)
		finished := p.Exited()
		p.Kill()
		var cps []checkpoint.Checkpoint
		mustRunJSON(t, env, &cps, "checkpoint", "show", "--json")
		pages := int64(-1) // no run in progress
		if len(cps) == 1 && cps[0].Run != nil {
			pages = cps[0].Run.Pages
			interrupted++
		}
		t.Logf("kill %d after %v: exited before the kill %v, pages committed in the run in progress %d", i+1, delay, finished, pages)
	}
	if interrupted == 0 {
		t.Fatal("no kill interrupted a run: the test proved nothing (make the simulator slower)")
	}

	if code, _, stderr := runExtract(t, env, "once"); code != 0 {
		t.Fatalf("extract once after the kills exited %d:\n%s", code, stderr)
	}

	want := s.sim.VisibleIDs(time.Now())
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	t.Logf("%d records for %d events: %d duplicates after %d kills (%d mid-run)", len(got), len(want), d.duplicates, kills, interrupted)
	if d.duplicates > kills*3000 {
		t.Errorf("%d duplicates after %d kills, want at most three pages (3,000) per kill", d.duplicates, kills)
	}

	var runs []checkpoint.RunRecord
	mustRunJSON(t, env, &runs, "runs", "--json")
	if len(runs) == 0 {
		t.Fatal("extract runs --json lists no run")
	}
	var produced int64
	for _, r := range runs {
		t.Logf("run %d: status %s, pages %d, produced %d, duplicates %d, restarts %d", r.ID, r.Status, r.Pages, r.Produced, r.Duplicates, r.Restarts)
		if r.Status != checkpoint.StatusOK {
			t.Errorf("run %d (%s) has status %q, want %q (error %q)", r.ID, r.Mode, r.Status, checkpoint.StatusOK, r.Error)
		}
		if r.Restarts != 0 {
			t.Errorf("run %d restarted from its first page %d times: a crashed run must resume at its cursor", r.ID, r.Restarts)
		}
		produced += r.Produced
	}
	if produced != int64(d.distinct) {
		t.Errorf("runs report %d events produced, the topic holds %d distinct events", produced, d.distinct)
	}
}
