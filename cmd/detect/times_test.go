package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestEventsDatedOutOfRange writes members raising their own account type
// (each alerts at once under privilege-escalation, one per member) dated now, three days after their record was produced, in
// the year 2300 and in the year 1600: only the one dated now alerts; the
// others are counted as future (1) and untimed (2).
func TestEventsDatedOutOfRange(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	topic, alerts := testkit.Name("events"), testkit.Name("alerts")
	now := time.Now().UTC().Truncate(time.Second)
	times := map[string]string{
		"m-now":    now.Add(-time.Minute).Format(time.RFC3339),
		"m-future": now.Add(72 * time.Hour).Format(time.RFC3339),
		"m-2300":   "2300-01-02T03:04:05Z",
		"m-1600":   "1600-01-02T03:04:05Z",
	}
	var msgs []kafka.Message
	for actor, at := range times {
		msgs = append(msgs, kafka.Message{Key: []byte(actor), Value: []byte(`{"eventId":"key-` + actor +
			`","eventType":"UserAccountTypeUpdated","eventTimestamp":"` + at + `","actor":{"memberId":"` + actor +
			`"},"metadata":{"userId":"` + actor + `","previousAccountType":"Standard Member","newAccountType":"Workspace Admin"}}`)})
	}
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: topic, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	st := &testkit.Stack{Brokers: brokers, Topic: topic, DBURL: testkit.MustPostgres(t)}
	p := testkit.Start(t, detectBin, st.DetectEnv(testkit.Name("detect"), alerts, map[string]string{
		"KAFKA_DLQ_TOPIC": topic + "-dlq", "LOG_LEVEL": "info",
	}), "run")
	addr := p.MetricsAddr()
	var future, untimed float64
	if !testkit.Eventually(30*time.Second, func() bool {
		future, _ = testkit.Gauge(addr, "pigment_detect_future_events")
		untimed, _ = testkit.Gauge(addr, "pigment_detect_untimed_events")
		lag, ok := testkit.Gauge(addr, "pigment_detect_lag")
		return ok && lag == 0 && future+untimed >= 3 && testkit.GetHealth(addr).Status == http.StatusOK
	}) {
		t.Errorf("pigment_detect_future_events = %v, _untimed_events = %v, want 1 and 2", future, untimed)
	}
	time.Sleep(time.Second) // a few saves: alerts decided are produced
	p.Stop()
	var got []string
	for _, m := range testkit.ReadAll(t, brokers, alerts) {
		if testkit.Header(m, "rule") == "privilege-escalation" { // off-hours may alert too
			got = append(got, string(m.Key))
		}
	}
	if fmt.Sprint(got) != "[m-now]" || future != 1 || untimed != 2 {
		t.Errorf("alerts for %v, future %v, untimed %v; want alerts for [m-now] only, future 1, untimed 2", got, future, untimed)
	}
}
