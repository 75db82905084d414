package main

// Helpers for the process-level tests: the real detect and extract binaries,
// built once in TestMain, run as subprocesses against an in-test Pigment
// simulator over HTTP, an in-test kfake broker over TCP and a fresh Postgres
// database per test.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	for _, b := range []struct {
		dir, name string
		bin       *string
	}{{".", "detect", &detectBin}, {"../extract", "extract", &extractBin}} {
		bin, cleanup, err := testkit.Build(b.dir, b.name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cleanups = append(cleanups, cleanup)
		*b.bin = bin
	}
	return testkit.RunNoLeaks(m)
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
		Seed: 20251119, Anomalies: true, Rate: 0,
		History: 7 * 24 * time.Hour, HistoryEvents: 5000, LateFraction: -1,
		Clock: func() time.Time { return simStart },
	}
}

// stack is one isolated deployment: a simulator over HTTP, a broker, a
// database, and an events topic filled by `extract once`.
type stack struct {
	sim     *pigmentsim.Sim
	apiURL  string
	brokers string
	topic   string
	dbURL   string
	events  int    // records in topic
	rules   string // DETECT_RULES_FILE, "" for the built-in rules
}

// newStack starts the simulator, broker and database, and runs
// `extract once` to fill the events topic.
func newStack(t testing.TB, cfg pigmentsim.Config) *stack {
	t.Helper()
	cfg.APIKey = simKey
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	_, brokers := testkit.MustKafka(t)
	s := &stack{
		sim: sim, apiURL: srv.URL, brokers: brokers,
		topic: testkit.Name("events"), dbURL: testkit.MustPostgres(t),
		rules: rulesForSim(t),
	}
	extractOnce := func() {
		p := startProc(t, extractBin, map[string]string{
			"PIGMENT_API_URL":       s.apiURL,
			"PIGMENT_AUDIT_API_KEY": simKey,
			"PIGMENT_RATE_LIMIT":    "off",
			"KAFKA_BROKERS":         s.brokers,
			"KAFKA_TOPIC":           s.topic,
			"KAFKA_DLQ_TOPIC":       s.topic + "-dlq",
			"DATABASE_URL":          s.dbURL,
			"LOG_LEVEL":             "warn",
		}, "once")
		if code := p.Wait(time.Minute); code != 0 {
			t.Fatalf("extract once exited %d; stderr:\n%s", code, p.Stderr())
		}
	}
	extractOnce()
	// A second run, as the next poll of a live extractor would be: its
	// records say the first run's events are all in the topic
	// (completeBefore), which lets detect decide the backlog's windows. One
	// new event of a type no rule watches is enough.
	sim.Inject(pigmentsim.Injected{ID: "heartbeat-1", Type: "ReportViewed", ActorID: "sim-heartbeat",
		EventTime: simStart.Add(-2 * time.Second), IngestionTime: simStart.Add(-time.Second)})
	extractOnce()
	for _, n := range endOffsets(t, s.brokers, s.topic) {
		s.events += int(n)
	}
	if s.events < 4000 {
		t.Fatalf("extract once wrote %d events, want the backlog (~5000)", s.events)
	}
	return s
}

// detectEnv is the environment of a detect process on this stack.
func (s *stack) detectEnv(name, alerts string) map[string]string {
	return map[string]string{
		"KAFKA_BROKERS":        s.brokers,
		"KAFKA_TOPIC":          s.topic,
		"KAFKA_ALERTS_TOPIC":   alerts,
		"KAFKA_DLQ_TOPIC":      s.topic + "-detect-dlq",
		"DETECT_NAME":          name,
		"DETECT_SAVE_INTERVAL": "200ms",
		"DATABASE_URL":         s.dbURL,
		"METRICS_ADDR":         "127.0.0.1:0",
		"LOG_LEVEL":            "warn",
		"DETECT_RULES_FILE":    s.rules,
	}
}

// endOffsets returns the end offset of every partition of topic.
func endOffsets(t testing.TB, addr, topic string) map[int]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	out := map[int]int64{}
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", net.JoinHostPort(p.Leader.Host, strconv.Itoa(p.Leader.Port)), topic, p.ID)
		if err != nil {
			t.Fatalf("dial leader of %s/%d: %v", topic, p.ID, err)
		}
		last, err := lc.ReadLastOffset()
		lc.Close()
		if err != nil {
			t.Fatalf("last offset of %s/%d: %v", topic, p.ID, err)
		}
		out[p.ID] = last
	}
	return out
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
	pool, err := pgxpool.New(context.Background(), s.dbURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", s.dbURL, err)
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
	end := endOffsets(t, s.brokers, s.topic)
	deadline := time.Now().Add(d)
	last, stable := -1, time.Time{}
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("detect exited early (%v); stderr:\n%s", p.Err(), p.Stderr())
		}
		if s.caughtUp(t, pool, name, end) {
			n := len(testkit.ReadAll(t, s.brokers, alerts))
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
	p := startProc(t, detectBin, s.detectEnv(name, alerts), "run")
	s.waitQuiet(t, p, name, alerts, 45*time.Second)
	p.Stop()
	return testkit.ReadAll(t, s.brokers, alerts)
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

// idSet returns the distinct alert IDs of an alerts topic (alertId header)
// and how many records repeat an ID already seen.
func idSet(msgs []kafka.Message) (ids map[string]bool, duplicates int) {
	ids = map[string]bool{}
	for _, m := range msgs {
		id := testkit.Header(m, "alertId")
		if ids[id] {
			duplicates++
		}
		ids[id] = true
	}
	return ids, duplicates
}

// setDiff returns the IDs of a not in b, sorted.
func setDiff(a, b map[string]bool) []string {
	var out []string
	for id := range a {
		if !b[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// proc is a running subprocess.
// proc is a running detect or extract process.
type proc = testkit.Proc

// startProc starts bin with exactly env (plus PATH and HOME) and args. The
// process is killed when the test ends, if still running.
func startProc(t testing.TB, bin string, env map[string]string, args ...string) *proc {
	t.Helper()
	return testkit.Start(t, bin, env, args...)
}

// firstIDs returns at most the first three of ids.
func firstIDs(ids []string) []string { return ids[:min(len(ids), 3)] }
