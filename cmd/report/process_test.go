package main

// Helpers for the process-level tests: the real report, extract and forward
// binaries, built once in TestMain, run as subprocesses against an
// in-test Pigment simulator over HTTP, a kfake broker over TCP and a fresh
// Postgres database. The simulator -> extract -> broker -> forward
// SINK=postgres fill the archive the report reads.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/report"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

var bins = map[string]string{} // program name -> binary built by TestMain

func TestMain(m *testing.M) { os.Exit(buildAndRun(m)) }

func buildAndRun(m *testing.M) int {
	for name, dir := range map[string]string{"report": ".", "extract": "../extract", "forward": "../forward"} {
		bin, cleanup, err := testkit.Build(dir, name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer cleanup()
		bins[name] = bin
	}
	return testkit.RunNoLeaks(m)
}

const simKey = "sim-key-report"

// pipeline is one isolated deployment: a simulator with planted anomalies
// and three weeks of history, a broker, a database, topics of its own.
type pipeline struct {
	sim                  *pigmentsim.Sim
	apiURL, brokers      string
	topic, alerts, dbURL string
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 11, APIKey: simKey, Anomalies: true,
		History: 21 * 24 * time.Hour, HistoryEvents: 6000, LateFraction: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	_, brokers := testkit.MustKafka(t)
	topic := testkit.Name("events")
	return &pipeline{sim: sim, apiURL: srv.URL, brokers: brokers, topic: topic, alerts: topic + "-alerts",
		dbURL: testkit.MustPostgres(t)}
}

// env is the environment shared by the three programs, with overrides.
func (p *pipeline) env(overrides map[string]string) map[string]string {
	e := map[string]string{
		"PIGMENT_API_URL": p.apiURL, "PIGMENT_AUDIT_API_KEY": simKey, "PIGMENT_RATE_LIMIT": "off",
		"KAFKA_BROKERS": p.brokers, "KAFKA_TOPIC": p.topic, "KAFKA_DLQ_TOPIC": p.topic + "-dlq",
		"KAFKA_ALERTS_TOPIC": p.alerts, "DATABASE_URL": p.dbURL,
		"SINK": "postgres", "METRICS_ADDR": "127.0.0.1:0", "FORWARD_BATCH_WAIT": "50ms",
		"LOG_LEVEL": "warn", "LOG_FORMAT": "json", "REPORT_WAIT": "90s",
	}
	for k, v := range overrides {
		e[k] = v
	}
	return e
}

// runProgram runs a program to completion (at most two minutes).
func runProgram(t *testing.T, env map[string]string, program string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := testkit.Start(t, bins[program], env, args...)
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

// readDocument decodes dir/report.json.
func readDocument(t *testing.T, dir string) report.Document {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var d report.Document
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return d
}

// files maps each file name of dir to its bytes.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// partitions returns the partitions of topic and a client, closed with
// the test.
func partitions(t *testing.T, brokers, topic string) (*kgo.Client, []int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	resp, err := meta.RequestWith(context.Background(), cl)
	if err != nil || len(resp.Topics) != 1 {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	var ps []int32
	for _, p := range resp.Topics[0].Partitions {
		ps = append(ps, p.Partition)
	}
	return cl, ps
}

// offsets sums the first (at -2) or end (at -1) offsets of topic's
// partitions.
func offsets(t *testing.T, brokers, topic string, at int64) int64 {
	t.Helper()
	cl, ps := partitions(t, brokers, topic)
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range ps {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = p, at
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatalf("list offsets of %s: %v", topic, err)
	}
	var sum int64
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			sum += rp.Offset
		}
	}
	return sum
}

// deleteRecords empties every partition of topic as retention would: the
// records are gone, the end offsets stay.
func deleteRecords(t *testing.T, brokers, topic string) {
	t.Helper()
	cl, ps := partitions(t, brokers, topic)
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	for _, p := range ps {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, -1 // -1: up to the high watermark
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatalf("delete records of %s: %v", topic, err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("delete records of %s/%d: error code %d", topic, rp.Partition, rp.ErrorCode)
			}
		}
	}
	if first, end := offsets(t, brokers, topic, -2), offsets(t, brokers, topic, -1); first != end || end == 0 {
		t.Fatalf("%s after deleting its records: first offsets sum to %d, end offsets to %d", topic, first, end)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
