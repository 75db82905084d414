package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// healthStack is a detector over a topic of plain events, with
// DETECT_STUCK_AFTER=2s and /healthz on a port of its own.
type healthStack struct {
	cluster        *kfake.Cluster
	brokers, topic string
	dbURL          string
	written        int
	p              *proc
	addr           string
}

func newHealthStack(t *testing.T) *healthStack {
	t.Helper()
	c, brokers := testkit.MustKafka(t, kfake.DefaultNumPartitions(1))
	h := &healthStack{cluster: c, brokers: brokers, topic: testkit.Name("events"), dbURL: testkit.MustPostgres(t)}
	h.write(t, 20)
	st := &testkit.Stack{Brokers: brokers, Topic: h.topic, DBURL: h.dbURL}
	h.p = testkit.Start(t, detectBin, st.DetectEnv(testkit.Name("detect"), h.topic+"-alerts", map[string]string{
		"KAFKA_DLQ_TOPIC": h.topic + "-dlq", "DETECT_STUCK_AFTER": "2s", "LOG_LEVEL": "info",
	}), "run")
	h.addr = h.p.MetricsAddr()
	var hz testkit.Health
	if !testkit.Eventually(20*time.Second, func() bool {
		hz = testkit.GetHealth(h.addr)
		lag, ok := testkit.Gauge(h.addr, "pigment_detect_lag")
		return hz.Status == http.StatusOK && hz.Details["role"] == "leader" && ok && lag == 0
	}) {
		t.Fatalf("detect did not become a healthy leader with no lag: /healthz %+v; stderr:\n%s", hz, testkit.Tail(h.p.Stderr(), 4096))
	}
	return h
}

// write appends n events of a type no rule watches to the topic.
func (h *healthStack) write(t *testing.T, n int) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(h.brokers), Topic: h.topic, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	defer w.Close()
	at := time.Now().UTC().Add(-time.Hour)
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		id := fmt.Sprintf("ev-%d", h.written+i)
		msgs[i] = kafka.Message{Key: []byte("m1"), Value: []byte(`{"eventId":"` + id + `","eventType":"ReportViewed","eventTimestamp":"` +
			at.Format(time.RFC3339) + `","ingestionTimestamp":"` + at.Format(time.RFC3339) + `","actor":{"memberId":"m1"}}`)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("write %d events: %v", n, err)
	}
	h.written += n
}

// waitUnhealthy waits for /healthz to answer 503 and returns it.
func (h *healthStack) waitUnhealthy(t *testing.T) testkit.Health {
	t.Helper()
	var hz testkit.Health
	if !testkit.Eventually(30*time.Second, func() bool { hz = testkit.GetHealth(h.addr); return hz.Status == http.StatusServiceUnavailable }) {
		t.Fatalf("stuck detector: /healthz = %+v, want 503; stderr:\n%s", hz, testkit.Tail(h.p.Stderr(), 4096))
	}
	if reason, _ := hz.Details["reason"].(string); hz.OK || reason == "" {
		t.Errorf("/healthz = %+v, want ok:false with a reason", hz)
	}
	return hz
}

// TestHealthWhenSavesHang holds an exclusive lock on detect's state table,
// so that its saves hang, and writes more events: /healthz turns 503 once
// the state has gone unsaved for DETECT_STUCK_AFTER, pigment_detect_lag
// (read when scraped) counts the events written meanwhile, and health comes
// back when the lock is released.
func TestHealthWhenSavesHang(t *testing.T) {
	t.Parallel()
	h := newHealthStack(t)
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE detect_state IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	h.write(t, 10) // processed, then the save hangs
	hz := h.waitUnhealthy(t)
	if reason, _ := hz.Details["reason"].(string); !strings.Contains(reason, "not saved") {
		t.Errorf("/healthz reason %q, want it to say the state is not saved", reason)
	}
	h.write(t, 30) // not processed while the save hangs
	var lag float64
	if !testkit.Eventually(10*time.Second, func() bool { lag, _ = testkit.Gauge(h.addr, "pigment_detect_lag"); return lag >= 30 }) {
		t.Errorf("pigment_detect_lag = %v while 30 events wait behind a hung save, want at least 30", lag)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if !testkit.Eventually(30*time.Second, func() bool { hz = testkit.GetHealth(h.addr); return hz.Status == http.StatusOK && hz.OK }) {
		t.Errorf("after the lock was released, /healthz = %+v, want 200 ok", hz)
	}
}

// TestHealthWhenTheBrokerStopsServing makes the broker drop every fetch
// (the events topic unreadable) and writes more events: /healthz turns
// 503 once records have waited DETECT_STUCK_AFTER with no progress, and
// pigment_detect_lag counts them.
func TestHealthWhenTheBrokerStopsServing(t *testing.T) {
	t.Parallel()
	h := newHealthStack(t)
	h.cluster.ControlKey(kmsg.Fetch.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		h.cluster.KeepControl()
		return nil, errors.New("fetches refused by the test"), true
	})
	h.write(t, 25)
	hz := h.waitUnhealthy(t)
	if reason, _ := hz.Details["reason"].(string); !strings.Contains(reason, "behind") {
		t.Errorf("/healthz reason %q, want it to say records are behind", reason)
	}
	if lag, ok := testkit.Gauge(h.addr, "pigment_detect_lag"); !ok || lag < 25 {
		t.Errorf("pigment_detect_lag = %v (%v) with 25 records unread, want at least 25", lag, ok)
	}
	if h.p.Exited() {
		t.Errorf("detect exited: %v", h.p.Err())
	}
}
