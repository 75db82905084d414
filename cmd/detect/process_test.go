package main

// Helpers for the process-level tests: the real detect and extract binaries,
// built once in TestMain, run as subprocesses against an in-test Pigment
// simulator over HTTP, an in-test kfake broker over TCP and a fresh Postgres
// database per test.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/detector"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// Paths of the binaries built by TestMain.
var detectBin, extractBin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks,
		testkit.Binary{Dir: ".", Path: &detectBin}, testkit.Binary{Dir: "../extract", Path: &extractBin}))
}

const simKey = "sim-key-9c2e4a71"

// simStart is the simulator's fixed clock: the latest Wednesday 20:00 UTC
// before now (within extract's 180-day initial lookback). The plant day D
// is that Wednesday.
var simStart = func() time.Time {
	t := time.Now().UTC().Truncate(24 * time.Hour)
	for t.Weekday() != time.Wednesday || !t.Add(20*time.Hour).Before(time.Now()) {
		t = t.AddDate(0, 0, -1)
	}
	return t.Add(20 * time.Hour)
}()

// rulesForSim returns the path of the rules file the end-to-end tests run,
// "" for the built-in rules. The simulator keeps quiet members within
// 09:00-18:00 UTC; the built-in rules' business hours are 08:00-19:00
// Europe/Paris, which holds those only while Paris is on UTC+1 (winter). On
// a summer simStart, the built-in rules with timezone UTC are used instead,
// so that the controls' 17:00-18:00 UTC activity is not off hours.
func rulesForSim(t testing.TB) string {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if _, off := simStart.In(paris).Zone(); off == 3600 {
		return ""
	}
	raw := bytes.Replace(detect.DefaultRules(), []byte("timezone: Europe/Paris"), []byte("timezone: UTC"), 1)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// plantedConfig is the simulator of the end-to-end tests: planted anomalies
// in a week of backlog (the spike rule needs a day of baseline windows), no
// live activity, nothing late-visible.
func plantedConfig() pigmentsim.Config {
	return pigmentsim.Config{
		APIKey: simKey, Seed: 20251119, Anomalies: true, Rate: 0,
		History: 7 * 24 * time.Hour, HistoryEvents: 5000, LateFraction: -1,
		Clock: func() time.Time { return simStart },
	}
}

// stack is one isolated deployment (testkit.Stack) whose API is the
// simulator, with an events topic filled by `extract once`.
type stack struct {
	*testkit.Stack
	sim    *pigmentsim.Sim
	events int    // records in topic
	rules  string // DETECT_RULES_FILE, "" for the built-in rules
}

// newStack starts the simulator (cfg, plantedConfig or derived from it:
// the API key is simKey), broker and database, and runs `extract once` to
// fill the events topic.
func newStack(t testing.TB, cfg pigmentsim.Config) *stack {
	t.Helper()
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{Stack: testkit.NewStack(t, sim.Handler(), simKey), sim: sim, rules: rulesForSim(t)}
	testkit.MustRun(t, extractBin, s.ExtractEnv(nil), "once")
	// A second run, as the next poll of a live extractor would be: its
	// records say the first run's events are all in the topic
	// (completeBefore), which lets detect decide the backlog's windows. One
	// new event of a type no rule watches is enough.
	sim.Inject(pigmentsim.Injected{ID: "heartbeat-1", Type: "ReportViewed", ActorID: "sim-heartbeat",
		EventTime: simStart.Add(-2 * time.Second), IngestionTime: simStart.Add(-time.Second)})
	testkit.MustRun(t, extractBin, s.ExtractEnv(nil), "once")
	for _, n := range testkit.EndOffsets(t, s.Brokers, s.Topic) {
		s.events += int(n)
	}
	if s.events < 4000 {
		t.Fatalf("extract once wrote %d events, want the backlog (~5000)", s.events)
	}
	return s
}

// detectEnv is the environment of a detect process on this stack.
func (s *stack) detectEnv(name, alerts string) testkit.Env {
	return s.DetectEnv(name, alerts, map[string]string{"DETECT_RULES_FILE": s.rules})
}

// caughtUp reports whether detector name has saved offsets at the end of
// every partition of the events topic and has no alert left in its outbox.
func (s *stack) caughtUp(t testing.TB, pool *pgxpool.Pool, name string, end map[int]int64) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st := detector.NewStore(pool)
	snap, ok, err := st.Load(ctx, name)
	if err != nil || !ok {
		return false
	}
	for p, n := range end {
		if n > 0 && snap.Offsets[p] != n {
			return false
		}
	}
	pending, err := st.Pending(ctx, name)
	return err == nil && len(pending) == 0
}

// savedRecords returns how many records of the events topic detector name
// has saved as consumed (0 without a saved state).
func (s *stack) savedRecords(t testing.TB, pool *pgxpool.Pool, name string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, _, err := detector.NewStore(pool).Load(ctx, name)
	if err != nil {
		t.Fatalf("load state of %s: %v", name, err)
	}
	var n int64
	for _, off := range snap.Offsets {
		n += off
	}
	return n
}

// pool returns a connection pool to the stack's database, closed when the
// test ends.
func (s *stack) pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), s.DBURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", s.DBURL, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// waitQuiet waits until detector name has consumed the whole events topic
// (saved offsets at the end, outbox empty) and then the alerts topic has
// stopped growing for a second. It fails the test after d, or when p exits.
func (s *stack) waitQuiet(t testing.TB, p *proc, name, alerts string, d time.Duration) {
	t.Helper()
	pool := s.pool(t)
	end := testkit.EndOffsets(t, s.Brokers, s.Topic)
	deadline := time.Now().Add(d)
	last, stable := -1, time.Time{}
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("detect exited early (%v); stderr:\n%s", p.Err(), p.Stderr())
		}
		if s.caughtUp(t, pool, name, end) {
			n := len(testkit.ReadAll(t, s.Brokers, alerts))
			switch {
			case n != last:
				last, stable = n, time.Now()
			case time.Since(stable) >= time.Second:
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("detect %s did not catch up within %v; stderr:\n%s", name, d, p.Stderr())
}

// runDetect runs `detect run` until it has caught up and the alerts topic
// is quiet, stops it with SIGTERM, and returns the alerts topic's records.
func (s *stack) runDetect(t testing.TB, name, alerts string) []kafka.Message {
	t.Helper()
	p := testkit.Start(t, detectBin, s.detectEnv(name, alerts), "run")
	s.waitQuiet(t, p, name, alerts, 45*time.Second)
	p.Stop()
	return testkit.ReadAll(t, s.Brokers, alerts)
}

// decodeAlerts decodes the records of an alerts topic.
func decodeAlerts(t testing.TB, msgs []kafka.Message) []detect.Alert {
	t.Helper()
	out := make([]detect.Alert, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Value, &out[i]); err != nil {
			t.Fatalf("alert record %d is not JSON: %v\n%s", i, err, m.Value)
		}
	}
	return out
}

// proc is a running detect or extract process.
type proc = testkit.Proc

// firstIDs returns at most the first three of ids.
func firstIDs(ids []string) []string { return ids[:min(len(ids), 3)] }
