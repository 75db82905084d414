package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// TestStandbyTakesOverAfterKill9 runs two `extract run` on one database:
// exactly one leads; when it is killed with SIGKILL the standby takes over
// and events ingested after the kill reach the topic.
func TestStandbyTakesOverAfterKill9(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{
		Seed: 33, History: 2 * time.Hour, HistoryEvents: 1500, LateFraction: -1,
	})
	env := s.env(map[string]string{
		"PIGMENT_POLL_INTERVAL": "1s",
		"EXTRACT_STANDBY_POLL":  "200ms",
		"METRICS_ADDR":          "127.0.0.1:0",
		"LOG_LEVEL":             "info",
	})
	ctx := t.Context()
	a, b := startExtract(t, env, "run"), startExtract(t, env, "run")
	procs := []*proc{a, b}
	addrs := make([]string, len(procs))
	for i, p := range procs {
		if !eventually(ctx, 15*time.Second, func() bool { addrs[i] = metricsAddr(p.Stderr()); return addrs[i] != "" }) {
			t.Fatalf("process %d logged no metrics address; stderr:\n%s", i, p.Stderr())
		}
	}
	var roles []string
	if !eventually(ctx, 15*time.Second, func() bool {
		roles = []string{healthRole(addrs[0]), healthRole(addrs[1])}
		return (roles[0] == "leader" && roles[1] == "standby") || (roles[0] == "standby" && roles[1] == "leader")
	}) {
		t.Fatalf("/healthz roles %v, want one leader and one standby", roles)
	}
	leader, standby, standbyAddr := a, b, addrs[1]
	if roles[1] == "leader" {
		leader, standby, standbyAddr = b, a, addrs[0]
	}
	if got := countMessages(leader.Stderr(), "leader: working"); got != 1 {
		t.Errorf("the leader logged %q %d times, want 1", "leader: working", got)
	}
	if got := countMessages(standby.Stderr(), "leader: working"); got != 0 {
		t.Errorf("the standby logged %q %d times before the kill, want 0", "leader: working", got)
	}
	backlog := s.sim.VisibleIDs(time.Now())
	if !eventually(ctx, 30*time.Second, func() bool { return len(s.topicIDs(t)) >= len(backlog) }) {
		t.Fatalf("the leader did not produce the backlog of %d events", len(backlog))
	}

	leader.Kill()
	if !eventually(ctx, 15*time.Second, func() bool { return healthRole(standbyAddr) == "leader" }) {
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
	if !eventually(ctx, 15*time.Second, func() bool {
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

// metricsAddr returns the address of the log line announcing /healthz.
func metricsAddr(stderr string) string {
	for _, l := range logLines(stderr) {
		if l["message"] == "serving /metrics and /healthz" {
			addr, _ := l["addr"].(string)
			return addr
		}
	}
	return ""
}

func countMessages(stderr, msg string) int {
	n := 0
	for _, l := range logLines(stderr) {
		if l["message"] == msg {
			n++
		}
	}
	return n
}

// healthRole returns details.role of GET /healthz, "" on any error.
func healthRole(addr string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var h struct {
		OK      bool
		Details struct{ Role string }
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil || !h.OK {
		return ""
	}
	return h.Details.Role
}
