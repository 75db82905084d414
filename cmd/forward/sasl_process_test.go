package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// With KAFKA_SASL_* set, `forward run` joins its group, reads and writes
// through a broker that requires SASL (SCRAM-SHA-256): every event reaches
// the sink (a file here), including a poison record's dead letter, which
// only an authenticated writer can produce.
func TestForwardThroughABrokerThatRequiresSASL(t *testing.T) {
	t.Parallel()
	brokers, sasl := testkit.MustKafkaSASL(t, "SCRAM-SHA-256", "forward", "scram-pass-1a2b3c")
	k := envcfg.Kafka{SASLMechanism: sasl["KAFKA_SASL_MECHANISM"], SASLUsername: sasl["KAFKA_SASL_USERNAME"], SASLPassword: sasl["KAFKA_SASL_PASSWORD"]}
	tr, err := k.Transport("test", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	topic, dlq := testkit.Name("events"), testkit.Name("dlq")
	pub, err := publish.New(publish.Config{Brokers: []string{brokers}, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const n = 300
	msgs := []kafka.Message{{Topic: topic, Value: []byte(`{not json`)}}
	for i := range n {
		id := fmt.Sprintf("sasl-%04d", i)
		msgs = append(msgs, kafka.Message{Topic: topic, Key: []byte(id), Value: []byte(
			`{"eventId":"` + id + `","eventType":"UserLoggedIn","eventTimestamp":"2026-11-01T10:00:00Z","actor":{"memberId":"m1"}}`)})
	}
	if err := pub.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "out.ndjson")
	p := startForward(t, sasl.With(map[string]string{
		"SINK": "file", "FILE_PATH": path, "FILE_FORMAT": "hec",
		"KAFKA_TOPIC": topic, "FORWARD_ALERTS": "false", "KAFKA_DLQ_TOPIC": dlq,
		"METRICS_ADDR": "127.0.0.1:0", "LOG_FORMAT": "json", "FORWARD_BATCH_WAIT": "50ms",
	}), "run")
	seen := map[string]bool{}
	ok := testkit.Eventually(60*time.Second, func() bool {
		seen = fileEventIDs(t, path)
		return p.Exited() || len(seen) == n
	})
	if !ok || p.Exited() {
		t.Fatalf("forward delivered %d of %d events through SASL (exited %v); stderr:\n%s", len(seen), n, p.Exited(), testkit.Tail(p.Stderr(), 4096))
	}
	p.Stop()

	// The dead letter went through the authenticated writer too.
	dialer, err := k.Dialer("test", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if dead := testkit.FirstRecord(t, brokers, dlq, dialer); string(dead.Value) != `{not json` {
		t.Fatalf("dead-letter topic's first record is %q, want the poison record", dead.Value)
	}
}

// fileEventIDs returns the eventIds of the HEC lines in path so far.
func fileEventIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return map[string]bool{}
	}
	defer f.Close()
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Event struct {
				EventID string `json:"eventId"`
			} `json:"event"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Event.EventID != "" {
			ids[line.Event.EventID] = true
		}
	}
	return ids
}
