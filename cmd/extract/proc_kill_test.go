package main

// Tests that kill extract with SIGKILL: nothing is lost, and a standby
// takes over.

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
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
	env := s.ExtractEnv(nil)

	const kills = 5
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delays seeded with %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	interrupted := 0
	for i := range kills {
		p := testkit.Start(t, extractBin, env, "once")
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

	if code, _, stderr := testkit.Run(t, extractBin, env, "once"); code != 0 {
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

// TestStandbyTakesOverAfterKill9 runs two `extract run` on one database:
// exactly one leads; when it is killed with SIGKILL the standby takes over
// and events ingested after the kill reach the topic.
func TestStandbyTakesOverAfterKill9(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{
		Seed: 33, History: 2 * time.Hour, HistoryEvents: 1500, LateFraction: -1,
	})
	env := s.ExtractEnv(map[string]string{
		"PIGMENT_POLL_INTERVAL": "1s",
		"EXTRACT_STANDBY_POLL":  "200ms",
		"METRICS_ADDR":          "127.0.0.1:0",
		"LOG_LEVEL":             "info",
	})
	a, b := testkit.Start(t, extractBin, env, "run"), testkit.Start(t, extractBin, env, "run")
	procs := []*proc{a, b}
	addrs := make([]string, len(procs))
	for i, p := range procs {
		addrs[i] = p.MetricsAddr()
	}
	var roles []string
	if !testkit.Eventually(15*time.Second, func() bool {
		roles = []string{healthRole(addrs[0]), healthRole(addrs[1])}
		return (roles[0] == "leader" && roles[1] == "standby") || (roles[0] == "standby" && roles[1] == "leader")
	}) {
		t.Fatalf("/healthz roles %v, want one leader and one standby", roles)
	}
	leader, standby, standbyAddr := a, b, addrs[1]
	if roles[1] == "leader" {
		leader, standby, standbyAddr = b, a, addrs[0]
	}
	if got := testkit.CountMessages(leader.Stderr(), "leader: working"); got != 1 {
		t.Errorf("the leader logged %q %d times, want 1", "leader: working", got)
	}
	if got := testkit.CountMessages(standby.Stderr(), "leader: working"); got != 0 {
		t.Errorf("the standby logged %q %d times before the kill, want 0", "leader: working", got)
	}
	backlog := s.sim.VisibleIDs(time.Now())
	if !testkit.Eventually(30*time.Second, func() bool { return len(s.topicIDs(t)) >= len(backlog) }) {
		t.Fatalf("the leader did not produce the backlog of %d events", len(backlog))
	}

	leader.Kill()
	if !testkit.Eventually(15*time.Second, func() bool { return healthRole(standbyAddr) == "leader" }) {
		t.Fatalf("the standby did not become leader within 15s of the kill (role %q)", healthRole(standbyAddr))
	}
	now := time.Now().UTC()
	var injected []pigmentsim.Injected
	for i := range 5 {
		injected = append(injected, pigmentsim.Injected{
			ID: uuid.NewString(), Type: "USER_LOGIN",
			IngestionTime: now.Add(-time.Duration(i) * time.Millisecond).Truncate(time.Millisecond),
		})
	}
	s.sim.Inject(injected...)

	want := s.sim.VisibleIDs(time.Now())
	if len(want) != len(backlog)+len(injected) {
		t.Fatalf("the simulator shows %d events, want the backlog of %d plus %d injected", len(want), len(backlog), len(injected))
	}
	var d idDiff
	if !testkit.Eventually(15*time.Second, func() bool {
		d = diffIDs(s.topicIDs(t), want)
		return len(d.missing) == 0
	}) {
		t.Fatalf("after the takeover %d of %d events are missing from the topic (e.g. %v)", len(d.missing), len(want), firstIDs(d.missing))
	}
	d.check(t, want)
	if standby.Exited() {
		t.Errorf("the new leader exited; stderr:\n%s", standby.Stderr())
	}
}

// healthRole returns details.role of GET /healthz, "" unless it answers ok.
func healthRole(addr string) string {
	h := testkit.GetHealth(addr)
	role, _ := h.Details["role"].(string)
	if !h.OK {
		return ""
	}
	return role
}
