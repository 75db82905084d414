package main

// Helpers for the process-level tests: the real report, extract and forward
// binaries, built once in TestMain, run as subprocesses against an
// in-test Pigment simulator over HTTP, a kfake broker over TCP and a fresh
// Postgres database. The simulator -> extract -> broker -> forward
// SINK=postgres fill the archive the report reads.

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The binaries TestMain builds, by program name.
var bins = map[string]*string{"report": new(string), "extract": new(string), "forward": new(string)}

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks, testkit.Binary{Dir: ".", Path: bins["report"]},
		testkit.Binary{Dir: "../extract", Path: bins["extract"]}, testkit.Binary{Dir: "../forward", Path: bins["forward"]}))
}

const simKey = "sim-key-report"

// pipeline is one isolated deployment (testkit.Stack) whose API is a
// simulator with planted anomalies and three weeks of history.
type pipeline struct {
	*testkit.Stack
	sim    *pigmentsim.Sim
	alerts string
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 11, APIKey: simKey, Anomalies: true,
		History: 21 * 24 * time.Hour, HistoryEvents: 6000, LateFraction: -1})
	if err != nil {
		t.Fatal(err)
	}
	s := testkit.NewStack(t, sim.Handler(), simKey)
	return &pipeline{Stack: s, sim: sim, alerts: s.Topic + "-alerts"}
}

// env is the environment shared by extract, forward (the archive) and
// report, with overrides.
func (p *pipeline) env(overrides map[string]string) testkit.Env {
	return p.ExtractEnv(map[string]string{
		"KAFKA_ALERTS_TOPIC": p.alerts, "SINK": "postgres", "METRICS_ADDR": "127.0.0.1:0",
		"FORWARD_BATCH_WAIT": "50ms", "REPORT_WAIT": "90s",
	}).With(overrides)
}

// runProgram runs a program to completion (at most two minutes).
func runProgram(t *testing.T, env map[string]string, program string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := testkit.Start(t, *bins[program], env, args...)
	code = p.Wait(2 * time.Minute)
	return code, p.Stdout(), p.Stderr()
}

// mustRun runs a program and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, program string, args ...string) string {
	t.Helper()
	code, stdout, stderr := runProgram(t, env, program, args...)
	if code != 0 {
		t.Fatalf("%s %v exited %d; stdout %s; stderr:\n%s", program, args, code, stdout, testkit.Tail(stderr, 4096))
	}
	return stdout
}

// wantExit runs report and fails the test unless it exits code with every
// one of wants in its stderr.
func wantExit(t *testing.T, env map[string]string, code int, wants []string, args ...string) string {
	t.Helper()
	got, stdout, stderr := runProgram(t, env, "report", args...)
	ok := got == code
	for _, w := range wants {
		ok = ok && strings.Contains(stderr, w)
	}
	if !ok {
		t.Fatalf("report %v = exit %d, want %d with %q; stdout %s; stderr:\n%s", args, got, code, wants, stdout, testkit.Tail(stderr, 4096))
	}
	return stderr
}
