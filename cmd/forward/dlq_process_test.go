package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The brokers take 2 MB records (extract has KAFKA_MAX_MESSAGE_BYTES=2000000)
// and Elasticsearch refuses a 1.2 MB event (mapper_parsing_exception):
// forward, whose KAFKA_MAX_MESSAGE_BYTES is 1,000,000, writes its dead
// letter cut to fit, flagged dlq.truncated with dlq.originalSize, keeps
// running, delivers the events behind it and commits every offset.
func TestForwardCutsADeadLetterAboveItsLimitAndRunsOn(t *testing.T) {
	t.Parallel()
	const brokerLimit, dlqLimit = 2_000_000, 1_000_000
	d := newDeployment(t, 200, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(brokerLimit)}))
	big := []byte(`{"eventId":"big-1","eventType":"UserLoggedIn","eventTimestamp":"2026-11-01T10:00:00Z",` +
		`"ingestionTimestamp":"2026-11-01T10:00:05Z","actor":{"memberId":"m-big"},"context":{"ipAddress":"10.1.2.3"},` +
		`"payload":{"note":"` + strings.Repeat("x", 1_200_000) + `"}}`)
	w, err := publish.New(publish.Config{Brokers: []string{d.brokers}, MaxMessageBytes: brokerLimit})
	if err != nil {
		t.Fatal(err)
	}
	msg := kafka.Message{Topic: d.topic, Key: []byte("m-big"), Value: big, Headers: []kafka.Header{
		{Key: record.HeaderEventID, Value: []byte("big-1")}, {Key: record.HeaderProducer, Value: []byte("pigment-extract")}}}
	if err := w.Write(context.Background(), []kafka.Message{msg}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var after []kafka.Message // events behind the big one, on every partition
	for i := range 60 {
		id := "after-" + strconv.Itoa(i)
		after = append(after, kafka.Message{Topic: d.topic, Key: []byte(id), Headers: []kafka.Header{{Key: record.HeaderEventID, Value: []byte(id)}},
			Value: []byte(`{"eventId":"` + id + `","eventType":"UserLoggedIn","eventTimestamp":"2026-11-01T10:00:00Z","ingestionTimestamp":"2026-11-01T10:00:05Z","actor":{"memberId":"` + id + `"}}`)})
	}
	d.write(t, after...)

	// An operator's wrong template: source.ip mapped as long. The big
	// event carries a source IP: refused for good.
	es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	putTemplate(t, es.URL(), `{"index_patterns":["logs-pigment.audit-*"],"data_stream":{},
		"template":{"mappings":{"properties":{"source":{"properties":{"ip":{"type":"long"}}}}}}}`)
	env := elasticEnv(d, es, d.group)
	env["KAFKA_MAX_MESSAGE_BYTES"] = strconv.Itoa(dlqLimit)
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return true })

	var dead *kafka.Message
	dlq := testkit.ReadAll(t, d.brokers, d.dlq)
	for i, m := range dlq {
		if testkit.Header(m, record.HeaderEventID) == "big-1" {
			dead = &dlq[i]
		}
	}
	if dead == nil {
		t.Fatalf("the DLQ holds %d records, none of them the big event's", len(dlq))
	}
	if got := testkit.Header(*dead, "dlq.truncated"); got != "true" {
		t.Errorf("dlq.truncated = %q, want true", got)
	}
	if got := testkit.Header(*dead, "dlq.originalSize"); got != strconv.Itoa(len(big)) {
		t.Errorf("dlq.originalSize = %q, want %d", got, len(big))
	}
	if size := record.Size(*dead); size > dlqLimit || !bytes.HasPrefix(big, dead.Value) || len(dead.Value) < dlqLimit/2 {
		t.Errorf("dead letter of %d bytes (value %d bytes), want the start of the event within %d bytes", size, len(dead.Value), dlqLimit)
	}
	for h, want := range map[string]string{"dlq.stage": "forward:elastic", "dlq.source.topic": d.topic, "producer": "pigment-extract"} {
		if got := testkit.Header(*dead, h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r := testkit.Header(*dead, "dlq.reason"); !strings.Contains(r, "mapper_parsing_exception") {
		t.Errorf("dlq.reason = %q, want Elasticsearch's mapper_parsing_exception", r)
	}
	if n := d.checkCommittedDelivered(t, d.group, recs, func(id string) bool {
		return es.Doc(id) != nil || slicesContainsID(dlq, id)
	}); n != len(recs) {
		t.Errorf("commits cover %d records, want all %d", n, len(recs))
	}
	for _, m := range after {
		if id := string(m.Headers[0].Value); es.Doc(id) == nil {
			t.Errorf("%s, behind the big event, was not delivered", id)
		}
	}
}

// slicesContainsID reports whether a dead letter carries eventId id.
func slicesContainsID(dlq []kafka.Message, id string) bool {
	for _, m := range dlq {
		if testkit.Header(m, record.HeaderEventID) == id {
			return true
		}
	}
	return false
}
