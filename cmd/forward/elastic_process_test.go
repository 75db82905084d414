package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

const esAPIKey = "ZXMta2V5OnNlY3JldC05ZjJh"

func elasticEnv(d *deployment, es *sinktest.Elastic, group string) map[string]string {
	return d.env("elastic", map[string]string{"ELASTIC_URL": es.URL(), "ELASTIC_API_KEY": esAPIKey, "KAFKA_GROUP_ID": group})
}

func esSeen(es *sinktest.Elastic) func(string) bool {
	return func(id string) bool { return es.Doc(id) != nil }
}

// mustSetup runs `forward setup` and checks the template is installed.
func mustSetup(t *testing.T, env map[string]string, es *sinktest.Elastic) {
	t.Helper()
	code, stdout, stderr := testkit.Run(t, forwardBin, env, "setup")
	if code != 0 {
		t.Fatalf("forward setup exited %d; stderr:\n%s", code, stderr)
	}
	if es.Template("pigment-audit") == nil {
		t.Fatalf("forward setup printed %q but installed no pigment-audit template", stdout)
	}
}

// setup installs the template; run delivers every event as an ECS document
// and sends a record that is not JSON to the DLQ with its original bytes,
// its source and the reason; a second group delivering the topic again
// gets 409s, which count as delivered: nothing is stored twice, nothing
// else is dead-lettered, and the second group commits everything.
func TestElasticDeliversAndDeadLettersThePoisonRecord(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 2000)
	poison := []byte(`{"eventId":"poison-1","eventType":"UserLoggedIn","actor":`)
	d.write(t, kafka.Message{Topic: d.topic, Key: []byte("poison"), Value: poison})
	es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	env := elasticEnv(d, es, d.group)
	mustSetup(t, env, es)

	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return es.Count() == len(d.ids) })
	checkAllDelivered(t, d.ids, esSeen(es))
	if n := es.Count(); n != len(d.ids) {
		t.Errorf("Elasticsearch stores %d documents, want %d", n, len(d.ids))
	}
	checkECSDoc(t, es, d.ids[0], d.raw[d.ids[0]])

	dlq := testkit.ReadAll(t, d.brokers, d.dlq)
	if len(dlq) != 1 {
		t.Fatalf("the DLQ holds %d records, want the poison record alone", len(dlq))
	}
	checkDeadLetter(t, dlq[0], poison, d, d.values(t), "forward:elastic")

	again := testkit.Name("forward-again")
	forwardUntil(t, d, elasticEnv(d, es, again), recs, func() bool { return true })
	if n := es.Count(); n != len(d.ids) {
		t.Errorf("after a second delivery Elasticsearch stores %d documents, want %d", n, len(d.ids))
	}
	if a := es.Attempts(d.ids[0]); a != 2 {
		t.Errorf("%s was created %d times, want 2 (the second a 409)", d.ids[0], a)
	}
	dlq = testkit.ReadAll(t, d.brokers, d.dlq)
	for _, m := range dlq {
		if !bytes.Equal(m.Value, poison) {
			t.Errorf("a re-delivered (409) record went to the DLQ: %s (%s)", m.Value, testkit.Header(m, "dlq.reason"))
		}
	}
	if len(dlq) != 2 {
		t.Errorf("the DLQ holds %d records after two groups, want the poison record twice", len(dlq))
	}
}

// checkDeadLetter checks a DLQ record: original bytes, stage, reason and
// the source topic, partition and offset of the original.
// src holds the source topic's values by position (see values).
func checkDeadLetter(t *testing.T, m kafka.Message, want []byte, d *deployment, src map[position][]byte, stage string) {
	t.Helper()
	if !bytes.Equal(m.Value, want) {
		t.Errorf("dead letter value = %q, want the original %q", m.Value, want)
	}
	if got := testkit.Header(m, "dlq.stage"); got != stage {
		t.Errorf("dlq.stage = %q, want %q", got, stage)
	}
	if got := testkit.Header(m, "dlq.reason"); got == "" {
		t.Error("dlq.reason is empty")
	}
	if got := testkit.Header(m, "dlq.source.topic"); got != d.topic {
		t.Errorf("dlq.source.topic = %q, want %q", got, d.topic)
	}
	part, _ := strconv.Atoi(testkit.Header(m, "dlq.source.partition"))
	off, err := strconv.ParseInt(testkit.Header(m, "dlq.source.offset"), 10, 64)
	if err != nil {
		t.Fatalf("dlq.source.offset: %v", err)
	}
	if v, ok := src[position{part, off}]; !ok || !bytes.Equal(v, want) {
		t.Errorf("dlq.source %s/%d@%d holds %q (found: %v), not the dead letter", d.topic, part, off, v, ok)
	}
}

// position is a record's partition and offset.
type position struct {
	partition int
	offset    int64
}

// values returns the values of the topic's records by position.
func (d *deployment) values(t *testing.T) map[position][]byte {
	t.Helper()
	out := map[position][]byte{}
	for _, m := range testkit.ReadAll(t, d.brokers, d.topic) {
		out[position{m.Partition, m.Offset}] = m.Value
	}
	return out
}

// checkECSDoc checks the stored document of one event.
func checkECSDoc(t *testing.T, es *sinktest.Elastic, id string, raw []byte) {
	t.Helper()
	var doc struct {
		Timestamp string `json:"@timestamp"`
		Event     struct {
			ID string `json:"id"`
		} `json:"event"`
		Pigment struct {
			Event json.RawMessage `json:"event"`
		} `json:"pigment"`
	}
	if err := json.Unmarshal(es.Doc(id), &doc); err != nil {
		t.Fatalf("document %s: %v", id, err)
	}
	if doc.Event.ID != id || doc.Timestamp == "" || !bytes.Equal(doc.Pigment.Event, raw) {
		t.Errorf("document %s = %s; want event.id, @timestamp and pigment.event = the original", id, es.Doc(id))
	}
}

// Documents refused by the mapping (an item 400) go to the DLQ; once the
// mapping is fixed (a new cluster with forward's template), replay-dlq
// delivers them all, exits 0 and prints a summary.
func TestReplayDLQDeliversTheDeadLettersOnceFixed(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 1000)
	broken := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	// An operator's wrong template: source.ip mapped as long. Documents
	// with a source IP fail the mapping, the others are stored.
	putTemplate(t, broken.URL(), `{"index_patterns":["logs-pigment.audit-*"],"data_stream":{},
		"template":{"mappings":{"properties":{"source":{"properties":{"ip":{"type":"long"}}}}}}}`)
	env := elasticEnv(d, broken, d.group)
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return true })

	dlq := testkit.ReadAll(t, d.brokers, d.dlq)
	var dead []string
	src := d.values(t)
	for _, m := range dlq {
		checkDeadLetter(t, m, d.raw[testkit.Header(m, "eventId")], d, src, "forward:elastic")
		if r := testkit.Header(m, "dlq.reason"); !strings.Contains(r, "mapper_parsing_exception") {
			t.Errorf("dlq.reason = %q, want Elasticsearch's mapper_parsing_exception", r)
		}
		dead = append(dead, testkit.Header(m, "eventId"))
	}
	if len(dead) == 0 || len(dead) == len(d.ids) {
		t.Fatalf("%d of %d records were dead-lettered; want some but not all", len(dead), len(d.ids))
	}
	if broken.Count()+len(dead) != len(d.ids) {
		t.Fatalf("stored %d + dead-lettered %d != %d events", broken.Count(), len(dead), len(d.ids))
	}

	fixed := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	fixedEnv := elasticEnv(d, fixed, d.group)
	mustSetup(t, fixedEnv, fixed)
	code, stdout, stderr := testkit.Run(t, forwardBin, fixedEnv, "replay-dlq")
	if code != 0 {
		t.Fatalf("forward replay-dlq exited %d; stderr:\n%s", code, testkit.Tail(stderr, 4096))
	}
	if want := "replayed " + strconv.Itoa(len(dead)) + " dead letters"; !strings.Contains(stdout, want) {
		t.Errorf("replay-dlq printed %q, want a summary with %q", stdout, want)
	}
	checkAllDelivered(t, dead, esSeen(fixed))
	if fixed.Count() != len(dead) {
		t.Errorf("the fixed cluster stores %d documents, want the %d dead letters", fixed.Count(), len(dead))
	}
	t.Logf("replay-dlq: %s", strings.TrimSpace(stdout))
	if n := len(testkit.ReadAll(t, d.brokers, d.dlq)); n != len(dead) {
		t.Errorf("the DLQ holds %d records after the replay, want still %d (nothing refused again)", n, len(dead))
	}
}

// putTemplate installs an index template directly, as an operator would.
func putTemplate(t *testing.T, base, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, base+"/_index_template/wrong", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "ApiKey "+esAPIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT template: %s", resp.Status)
	}
}
