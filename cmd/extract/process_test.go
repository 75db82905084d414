package main

// Helpers for the process-level tests: the real extract binary, built once in
// TestMain, run as a subprocess against an in-test Pigment simulator over
// HTTP, an in-test kfake broker over TCP and a fresh Postgres database.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// extractBin is the path of the binary built by TestMain.
var extractBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "extract-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	extractBin = filepath.Join(dir, "extract")
	build := exec.Command("go", "build", "-o", extractBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build ./cmd/extract:", err)
		return 1
	}
	return m.Run()
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
		ids = append(ids, testkit.Header(m, publish.HeaderEventID))
	}
	return ids
}

// proc is a running extract process.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error // set when done is closed
}

// startExtract starts the binary with exactly env (plus PATH and HOME) and
// args. The process is killed when the test ends, if still running.
func startExtract(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(extractBin, args...), done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start extract %v: %v", args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() && p.Stderr() != "" {
			t.Logf("extract %v stderr:\n%s", args, p.Stderr())
		}
	})
	return p
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Exited reports whether the process has ended.
func (p *proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to d for the process to end and returns its exit code.
func (p *proc) Wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		p.t.Fatalf("extract %v still running after %v; stderr:\n%s", p.cmd.Args[1:], d, p.Stderr())
	}
	var exit *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exit) {
		p.t.Fatalf("wait for extract: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) Stdout() string { return p.stdout.String() }
func (p *proc) Stderr() string { return p.stderr.String() }

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

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec and a
// reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
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
