package main

// Helpers for the process-level tests: the real extract binary, built once in
// TestMain, run as a subprocess against an in-test Pigment simulator over
// HTTP, an in-test kfake broker over TCP and a fresh Postgres database.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// extractBin is the path of the binary built by TestMain.
var extractBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	bin, cleanup, err := testkit.Build(".", "extract")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	extractBin = bin
	return testkit.RunNoLeaks(m)
}

const simKey = "sim-key-4b1d0e7f"

// stack is one isolated deployment: a simulator over HTTP, a broker, a
// database, and topics of its own.
type stack struct {
	sim     *pigmentsim.Sim
	apiURL  string
	brokers string
	topic   string
	dbURL   string
}

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
	return &stack{
		sim: sim, apiURL: srv.URL, brokers: brokers,
		topic: testkit.Name("events"), dbURL: testkit.MustPostgres(t),
	}
}

// env is the environment of an extract process on this stack, with
// overrides applied (an empty value removes the variable).
func (s *stack) env(overrides map[string]string) map[string]string {
	e := map[string]string{
		"PIGMENT_API_URL":       s.apiURL,
		"PIGMENT_AUDIT_API_KEY": simKey,
		"PIGMENT_RATE_LIMIT":    "off",
		"KAFKA_BROKERS":         s.brokers,
		"KAFKA_TOPIC":           s.topic,
		"KAFKA_DLQ_TOPIC":       s.topic + "-dlq",
		"DATABASE_URL":          s.dbURL,
		"LOG_LEVEL":             "warn",
		"LOG_FORMAT":            "json",
	}
	for k, v := range overrides {
		if v == "" {
			delete(e, k)
			continue
		}
		e[k] = v
	}
	return e
}

// topicIDs returns the eventId header of every record of the stack's topic.
func (s *stack) topicIDs(t testing.TB) []string {
	t.Helper()
	return eventIDs(t, s.brokers, s.topic)
}

func eventIDs(t testing.TB, brokers, topic string) []string {
	t.Helper()
	var ids []string
	for _, m := range testkit.ReadAll(t, brokers, topic) {
		ids = append(ids, testkit.Header(m, record.HeaderEventID))
	}
	return ids
}

// proc is a running extract process.
// proc is a running extract process.
type proc = testkit.Proc

// startExtract starts the binary with exactly env (plus PATH and HOME) and
// args. The process is killed when the test ends, if still running.
func startExtract(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	return testkit.Start(t, extractBin, env, args...)
}

// runExtract runs the binary to completion (at most a minute) and returns
// its exit code and output.
func runExtract(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startExtract(t, env, args...)
	code = p.Wait(time.Minute)
	return code, p.Stdout(), p.Stderr()
}

// mustRunExtract runs the binary and fails the test unless it exits 0.
func mustRunExtract(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runExtract(t, env, args...)
	if code != 0 {
		t.Fatalf("extract %v exited %d; stderr:\n%s", args, code, stderr)
	}
	return stdout
}

// mustRunJSON runs the binary and decodes its stdout into v.
func mustRunJSON(t *testing.T, env map[string]string, v any, args ...string) {
	t.Helper()
	out := mustRunExtract(t, env, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("extract %v: stdout is not the expected JSON: %v\n%s", args, err, out)
	}
}

// logLines returns the JSON log lines of stderr (other lines are ignored).
func logLines(stderr string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(stderr, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] != nil {
			out = append(out, m)
		}
	}
	return out
}

// idDiff compares the records of a topic with the expected IDs: missing and
// unexpected IDs, and how many records repeat an ID already seen.
type idDiff struct {
	missing, unexpected []string
	duplicates          int
	distinct            int
}

func diffIDs(got, want []string) idDiff {
	var d idDiff
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	d.distinct = len(count)
	for _, id := range want {
		if count[id] == 0 {
			d.missing = append(d.missing, id)
		}
		delete(count, id)
	}
	for id := range count {
		d.unexpected = append(d.unexpected, id)
	}
	d.duplicates = len(got) - d.distinct
	return d
}

// check fails the test when an ID is missing or unexpected, or when the
// expected set is empty (the test would prove nothing).
func (d idDiff) check(t *testing.T, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no events expected: the test would prove nothing")
	}
	if len(d.missing) > 0 || len(d.unexpected) > 0 {
		t.Fatalf("topic vs %d expected events: %d missing (e.g. %v), %d unexpected (e.g. %v)",
			len(want), len(d.missing), firstIDs(d.missing), len(d.unexpected), firstIDs(d.unexpected))
	}
}

func firstIDs(s []string) []string {
	sort.Strings(s)
	return s[:min(len(s), 3)]
}

// eventually polls cond every 100ms until it holds or d passes.
func eventually(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return cond()
}
