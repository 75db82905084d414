package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// randomText returns n bytes of hex: text lz4 cannot shrink much.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestOversizedAlertsAreCutAndDelivered runs detect against a broker that
// accepts 20,000-byte batches (KAFKA_MAX_MESSAGE_BYTES=20000) with events
// that make alerts larger than that: an API key created by a member whose
// id and email are 8 KB each (the alert carries them in its key, actor,
// email and description), and eleven deletions whose event IDs are 1.8 KB
// each (the evidence list). Every alert is delivered, within the limit,
// flagged "truncated":true, with its id, rule, count and the evidence it
// kept in order; detect keeps running. A record that is not an event, as
// large as the broker takes, reaches the dead-letter topic cut to fit.
func TestOversizedAlertsAreCutAndDelivered(t *testing.T) {
	t.Parallel()
	const maxBytes = 20000
	_, brokers := testkit.MustKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(maxBytes)}))
	topic, alerts := testkit.Name("events"), testkit.Name("alerts")
	// Ten minutes into the last hour: the eleven deletions share one 1h window.
	at := time.Now().UTC().Truncate(time.Hour).Add(-50 * time.Minute)
	event := func(id, typ, actor, email string, i int) kafka.Message {
		v, err := json.Marshal(map[string]any{"eventId": id, "eventType": typ,
			"eventTimestamp":     at.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			"ingestionTimestamp": at.Add(time.Duration(i)*time.Second + time.Minute).Format(time.RFC3339),
			"actor":              map[string]string{"memberId": actor, "email": email},
			"target":             map[string]string{"applicationId": "app-1", "applicationName": "Budget"}})
		if err != nil {
			t.Fatal(err)
		}
		// As extract writes them: every event ingested before completeBefore
		// is in the topic, which lets detect move its watermark.
		return kafka.Message{Key: []byte(actor[:min(len(actor), 64)]), Value: v,
			Headers: []kafka.Header{{Key: record.HeaderCompleteBefore, Value: []byte(at.Add(32 * time.Minute).Format(time.RFC3339))}}}
	}
	hugeActor, hugeEmail := randomText(t, 8000), randomText(t, 8000)+"@example.com"
	// An export burst by the member with the huge id and email: an alert
	// decided at once, as soon as the 21st export crosses the threshold
	// (security-config, used before, decides once the watermark passes the
	// change, and these records carry no completeBefore).
	var msgs []kafka.Message
	for i := range 21 {
		msgs = append(msgs, event(fmt.Sprintf("exp-%02d", i), "ExportExecuted", hugeActor, hugeEmail, i))
	}
	var deletionIDs []string
	for i := range 11 {
		id := fmt.Sprintf("del-%02d-%s", i, randomText(t, 1800))
		deletionIDs = append(deletionIDs, id)
		msgs = append(msgs, event(id, "BlockDeleted", "member-deleter", "deleter@example.com", 1+i))
	}
	// A record that is not an event, as large as the broker takes: its
	// dead letter (the same bytes and more headers) would not fit whole.
	notEvent := kafka.Message{Key: []byte("junk"), Value: []byte("not json " + randomText(t, maxBytes-160))}
	msgs = append(msgs, notEvent)
	// Counting windows are decided when the watermark passes them: a later
	// event (half an hour after) moves it past the deletions.
	msgs = append(msgs, event("later-1", "ReportViewed", "member-other", "other@example.com", 30*60))
	w := &kafka.Writer{Addr: kafka.TCP(brokers), Topic: topic, Balancer: &kafka.Hash{}, BatchSize: 1,
		RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, m := range msgs { // one per request: each fits the broker alone
		if err := w.WriteMessages(ctx, m); err != nil {
			t.Fatalf("write event: %v", err)
		}
	}
	w.Close()

	st := &testkit.Stack{Brokers: brokers, Topic: topic, DBURL: testkit.MustPostgres(t)}
	env := st.DetectEnv(testkit.Name("detect"), alerts, map[string]string{
		"KAFKA_DLQ_TOPIC": topic + "-dlq", "KAFKA_MAX_MESSAGE_BYTES": fmt.Sprint(maxBytes),
	})
	p := testkit.Start(t, detectBin, env, "run")
	want := map[string]bool{"export-burst": true, "bulk-deletion": true}
	var got []kafka.Message
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("detect exited (%v) instead of delivering the alerts; stderr:\n%s", p.Err(), testkit.Tail(p.Stderr(), 4096))
		}
		got = testkit.ReadAll(t, brokers, alerts)
		rules := map[string]int{}
		for _, m := range got {
			rules[testkit.Header(m, "rule")]++
		}
		if rules["export-burst"] >= 1 && rules["bulk-deletion"] >= 2 { // actor and application
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.Stop()
	var dead []kafka.Message
	if !testkit.Eventually(10*time.Second, func() bool { dead = testkit.ReadAll(t, brokers, topic+"-dlq"); return len(dead) > 0 }) {
		t.Errorf("no dead letter for the %d-byte record that is not an event", len(notEvent.Value))
	}
	for _, m := range dead {
		if n := len(m.Key) + len(m.Value); n > maxBytes || testkit.Header(m, "dlq.truncated") != "true" ||
			!strings.HasPrefix(string(notEvent.Value), string(m.Value)) || testkit.Header(m, "dlq.originalSize") != fmt.Sprint(len(notEvent.Value)) {
			t.Errorf("dead letter: %d bytes, dlq.truncated %q, dlq.originalSize %q: want it cut from the record's start to fit %d, flagged, with the original size",
				n, testkit.Header(m, "dlq.truncated"), testkit.Header(m, "dlq.originalSize"), maxBytes)
		}
	}
	cut := 0
	for _, m := range got {
		rule := testkit.Header(m, "rule")
		if !want[rule] {
			continue
		}
		var a struct {
			ID        string   `json:"id"`
			Rule      string   `json:"rule"`
			Count     int      `json:"count"`
			Evidence  []string `json:"evidence"`
			Truncated bool     `json:"truncated"`
			Actor     string   `json:"actor"`
		}
		if err := json.Unmarshal(m.Value, &a); err != nil {
			t.Fatalf("alert %s is not JSON: %v", testkit.Header(m, "alertId"), err)
		}
		if n := len(m.Key) + len(m.Value); n > maxBytes {
			t.Errorf("alert %s (%s): key and value are %d bytes, over %d", a.ID, rule, n, maxBytes)
		}
		if a.ID == "" || a.ID != testkit.Header(m, "alertId") || a.Rule != rule {
			t.Errorf("alert %s: id %q, rule %q: want them intact", testkit.Header(m, "alertId"), a.ID, a.Rule)
		}
		switch rule {
		case "export-burst":
			if !a.Truncated || !strings.HasPrefix(hugeActor, strings.TrimSuffix(a.Actor, "…")) {
				t.Errorf("export-burst alert: truncated %v, actor %.40q…: want it cut from the member id and flagged", a.Truncated, a.Actor)
			}
		case "bulk-deletion":
			if a.Count != 11 || !a.Truncated || len(a.Evidence) == 0 || len(a.Evidence) >= 11 ||
				!slices.Equal(a.Evidence, deletionIDs[:len(a.Evidence)]) {
				t.Errorf("bulk-deletion alert: count %d, truncated %v, %d evidence IDs: want count 11, flagged, the first IDs in order",
					a.Count, a.Truncated, len(a.Evidence))
			}
		}
		cut++
	}
	if cut < 3 {
		t.Fatalf("%d of the 3 oversized alerts delivered; stderr:\n%s", cut, testkit.Tail(p.Stderr(), 4096))
	}
}
