package main

// Helpers for the process-level tests: the real extract binary, built once in
// TestMain, run as a subprocess against an in-test Pigment simulator over
// HTTP, an in-test kfake broker over TCP and a fresh Postgres database.

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// simKey is the key the simulator takes.
const simKey = "sim-key-4b1d0e7f"

// extractBin is the path of the binary built by TestMain.
var extractBin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks, testkit.Binary{Dir: ".", Path: &extractBin}))
}

// stack is one isolated deployment (testkit.Stack) whose API is the
// simulator.
type stack struct {
	*testkit.Stack
	sim *pigmentsim.Sim
}

func newStack(t testing.TB, cfg pigmentsim.Config) *stack {
	t.Helper()
	cfg.APIKey = simKey
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{Stack: testkit.NewStack(t, sim.Handler(), simKey), sim: sim}
}

// newPagesStack is a stack whose API is a testkit.FakeAPI instead of the
// simulator.
func newPagesStack(t *testing.T) (*stack, *testkit.FakeAPI) {
	t.Helper()
	s := newStack(t, pigmentsim.Config{Seed: 1})
	api := testkit.NewFakeAPI(t)
	s.APIURL = api.URL
	return s, api
}

// topicIDs returns the eventId header of every record of the stack's topic.
func (s *stack) topicIDs(t testing.TB) []string {
	t.Helper()
	return eventIDs(t, s.Brokers, s.Topic)
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
type proc = testkit.Proc

// mustRunJSON runs the binary, fails the test unless it exits 0, and
// decodes its stdout into v.
func mustRunJSON(t *testing.T, env map[string]string, v any, args ...string) {
	t.Helper()
	out := testkit.MustRun(t, extractBin, env, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("extract %v: stdout is not the expected JSON: %v\n%s", args, err, out)
	}
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
