package e2e

// The processes and plumbing of the end-to-end tests: the real extract and
// detect binaries, built once in TestMain, against an in-test simulator over
// HTTP, a kfake broker over TCP and a fresh Postgres database.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.yaml.in/yaml/v3"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

var detectBin, extractBin, forwardBin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, (*testing.M).Run,
		testkit.Binary{Dir: "../cmd/detect", Path: &detectBin}, testkit.Binary{Dir: "../cmd/extract", Path: &extractBin},
		testkit.Binary{Dir: "../cmd/forward", Path: &forwardBin}))
}

// userRules writes the rules file a team would: `detect rules`, with business
// hours and thresholds edited (the values the labelled scenario assumes).
func userRules(t *testing.T) string {
	t.Helper()
	p := testkit.Start(t, detectBin, nil, "rules")
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("detect rules exited %d: %s", code, p.Stderr())
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(p.Stdout()), &doc); err != nil {
		t.Fatalf("detect rules printed no YAML: %v", err)
	}
	bh := doc["businessHours"].(map[string]any)
	bh["start"], bh["end"] = "07:30", "19:30"
	thresholds := map[string]int{"bulk-deletion": 20, "broad-access": 15, "high-churn": 300, "export-burst": 25}
	for _, r := range doc["rules"].([]any) {
		r := r.(map[string]any)
		if n, ok := thresholds[r["id"].(string)]; ok {
			r["threshold"] = n
			delete(r, "tests") // written for the shipped thresholds
			delete(thresholds, r["id"].(string))
		}
	}
	if len(thresholds) > 0 {
		t.Fatalf("detect rules has no rules %v", thresholds)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// detector is one `detect run` on a topic, with its own name and alerts.
type detector struct {
	name, topic, alerts, metrics string
	env                          map[string]string
	p                            *testkit.Proc
}

func newDetector(t *testing.T, st *testkit.Stack, rules, topic string) *detector {
	d := &detector{name: testkit.Name("detect"), topic: topic, alerts: testkit.Name("alerts"), metrics: freeAddr(t)}
	d.env = st.DetectEnv(d.name, d.alerts, map[string]string{"KAFKA_TOPIC": topic, "KAFKA_DLQ_TOPIC": topic + "-detect-dlq",
		"METRICS_ADDR": d.metrics, "DETECT_RULES_FILE": rules})
	return d
}

func (d *detector) start(t *testing.T) { d.p = testkit.Start(t, detectBin, d.env, "run") }

// behind is the leader's count of records not processed yet (/healthz), -1
// when it does not answer as a leader.
func (d *detector) behind() int {
	h := testkit.GetHealth(d.metrics)
	n, ok := h.Details["behind"].(float64)
	if h.Details["role"] != "leader" || !ok {
		return -1
	}
	return int(n)
}

// settle waits until the detector has read its whole topic and its alerts
// topic has not grown for quiet, and returns the alerts. It may run on a
// goroutine of its own: it reports failure as an error.
func (d *detector) settle(t *testing.T, brokers string, quiet, limit time.Duration) ([]kafka.Message, error) {
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		if d.p.Exited() {
			return nil, fmt.Errorf("detect %s exited (%v); stderr:\n%s", d.name, d.p.Err(), testkit.Tail(d.p.Stderr(), 4096))
		}
		if d.behind() == 0 {
			msgs := testkit.ReadAll(t, brokers, d.alerts)
			switch {
			case len(msgs) != last:
				last, since = len(msgs), time.Now()
			case time.Since(since) >= quiet:
				return msgs, nil
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return nil, fmt.Errorf("detect %s did not settle within %v; stderr:\n%s", d.name, limit, testkit.Tail(d.p.Stderr(), 4096))
}

// extractWatermark returns extract's saved watermark (zero before the first
// save).
func extractWatermark(t *testing.T, dbURL string) time.Time {
	t.Helper()
	var w *time.Time
	if err := testkit.QueryRow(t, dbURL, "SELECT max(watermark) FROM checkpoints", &w); err != nil || w == nil {
		return time.Time{}
	}
	return *w
}

// writeTopic creates topic with one partition and writes msgs to it in
// order, keys, values, headers and timestamps as given.
func writeTopic(t *testing.T, brokers, topic string, msgs []kafka.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := kafka.DialContext(ctx, "tcp", brokers)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	var lc *kafka.Conn
	for i := 0; lc == nil; i++ {
		lc, err = kafka.DialLeader(ctx, "tcp", brokers, topic, 0)
		if err != nil {
			if i > 50 {
				t.Fatalf("dial leader of %s: %v", topic, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	defer lc.Close()
	for len(msgs) > 0 {
		n := min(len(msgs), 500)
		batch := make([]kafka.Message, n)
		for i, m := range msgs[:n] {
			batch[i] = kafka.Message{Key: m.Key, Value: m.Value, Headers: m.Headers, Time: m.Time}
		}
		if _, err := lc.WriteMessages(batch...); err != nil {
			t.Fatalf("write %s: %v", topic, err)
		}
		msgs = msgs[n:]
	}
}
