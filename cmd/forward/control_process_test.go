package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/sinks/syslogtest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// controlEvents are events whose strings hold raw control characters, as
// real producers send them: in the actor's name, a value, a key, the
// eventId.
var controlEvents = []string{
	"{\"eventId\":\"ctl-1\",\"eventType\":\"BlockModified\",\"eventTimestamp\":\"2026-11-01T10:00:00Z\",\"ingestionTimestamp\":\"2026-11-01T10:00:05Z\"," +
		"\"actor\":{\"memberId\":\"m-ctl\",\"email\":\"ctl@acme.io\",\"name\":\"A\x01B\"},\"metadata\":{\"note\":\"l1\nl2\tx\x00\x1f\",\"k\x02\":1}}",
	"{\"eventId\":\"ctl-2\x01\",\"eventType\":\"UserLoggedIn\",\"eventTimestamp\":\"2026-11-01T10:00:01Z\",\"ingestionTimestamp\":\"2026-11-01T10:00:05Z\"," +
		"\"actor\":{\"user\":{\"id\":\"m-ctl\",\"name\":\"tab\there\r\n\"}},\"context\":{\"ipAddress\":\"192.0.2.1\"}}",
}

// fetchControlEvents reads controlEvents through extract's client, as one
// API page, and returns them as extract produces them.
func fetchControlEvents(t *testing.T, topic string) []kafka.Message {
	t.Helper()
	body := []byte(`{"events":[` + controlEvents[0] + `,` + controlEvents[1] + `]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	client, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := client.FetchPage(context.Background(), time.Now().Add(-time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != len(controlEvents) {
		t.Fatalf("extract read %d events (invalid: %+v), want %d", len(page.Events), page.Invalid, len(controlEvents))
	}
	var msgs []kafka.Message
	for i, ev := range page.Events {
		m := record.Event(topic, ev)
		if !bytes.Equal(m.Value, []byte(controlEvents[i])) || string(m.Key) != "m-ctl" {
			t.Fatalf("extract produces %q with key %q, want the API's bytes with the member's key m-ctl", m.Value, m.Key)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// Events with raw control characters in their strings, as extract produces
// them, reach the strict HEC and Elasticsearch receivers (which refuse
// such a character raw, as the real ones do) with the same values and the
// member as actor, and nothing is dead-lettered.
func TestRawControlCharactersReachHECAndElasticsearch(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 20)
	d.write(t, fetchControlEvents(t, d.topic)...)
	ids := slices.Concat(d.ids, []string{"ctl-1", "ctl-2\x01"})
	recs := d.records(t)

	hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken})
	forwardUntil(t, d, splunkEnv(d, hec, nil), recs, func() bool { return hec.Unique() == len(ids) })
	checkAllDelivered(t, ids, hecSeen(hec))
	for _, raw := range hec.Events() {
		var got struct {
			Event struct {
				EventID string `json:"eventId"`
				Actor   struct {
					Name string `json:"name"`
				} `json:"actor"`
				Metadata struct {
					Note string `json:"note"`
				} `json:"metadata"`
			} `json:"event"`
			Fields struct {
				Actor string `json:"actor"`
			} `json:"fields"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("HEC event %s: %v", raw, err)
		}
		if got.Event.EventID == "ctl-1" && (got.Event.Actor.Name != "A\x01B" || got.Event.Metadata.Note != "l1\nl2\tx\x00\x1f" || got.Fields.Actor != "ctl@acme.io") {
			t.Errorf("HEC event of ctl-1 = %s; want the original values and fields.actor ctl@acme.io", raw)
		}
	}

	es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	env := elasticEnv(d, es, testkit.Name("forward-es"))
	mustSetup(t, env, es)
	forwardUntil(t, d, env, recs, func() bool { return es.Count() == len(ids) })
	checkAllDelivered(t, ids, esSeen(es))
	for _, id := range []string{"ctl-1", "ctl-2\x01"} {
		var doc struct {
			User struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"user"`
			Pigment struct {
				Event struct {
					EventID string `json:"eventId"`
				} `json:"event"`
			} `json:"pigment"`
		}
		if err := json.Unmarshal(es.Doc(id), &doc); err != nil || doc.User.ID != "m-ctl" || doc.Pigment.Event.EventID != id {
			t.Errorf("document %q = %s (%v); want user.id m-ctl and pigment.event.eventId %q", id, es.Doc(id), err, id)
		}
	}
	if name := string(es.Doc("ctl-2\x01")); !bytes.Contains([]byte(name), []byte(`"name":"tab\there\r\n"`)) {
		t.Errorf("document ctl-2 = %s; want user.name \"tab\\there\\r\\n\"", name)
	}

	if dlq := testkit.ReadAll(t, d.brokers, d.dlq); len(dlq) != 0 {
		t.Errorf("the DLQ holds %d records, want none; the first: %q (%s)", len(dlq), dlq[0].Value, testkit.Header(dlq[0], "dlq.reason"))
	}
}

// The same events through a real rsyslogd (RFC 5424 over TCP) and into a
// file (FILE_FORMAT=hec): each message's MSG and each line is strict JSON
// holding the original values, and nothing is dead-lettered.
func TestRawControlCharactersReachSyslogAndFile(t *testing.T) {
	t.Parallel()
	rs := syslogtest.StartRsyslog(t) // fails the test when rsyslogd is missing
	d := newDeployment(t, 20)
	d.write(t, fetchControlEvents(t, d.topic)...)
	ids := slices.Concat(d.ids, []string{"ctl-1", "ctl-2\x01"})
	recs := d.records(t)

	env := d.env("syslog", map[string]string{"SYSLOG_ADDR": rs.TCPAddr, "SYSLOG_NETWORK": "tcp"})
	forwardUntil(t, d, env, recs, func() bool { return true })
	var msgs []string
	for _, p := range rs.Wait(t, len(ids), 60*time.Second) {
		msgs = append(msgs, p.Msg)
	}
	checkControlEvents(t, "rsyslog MSG", msgs, ids)

	path := filepath.Join(t.TempDir(), "events.ndjson")
	env = d.env("file", map[string]string{"FILE_PATH": path, "FILE_FORMAT": "hec", "KAFKA_GROUP_ID": testkit.Name("forward-file")})
	forwardUntil(t, d, env, recs, func() bool { return true })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var hec struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal([]byte(line), &hec); err != nil {
			t.Fatalf("file line is not JSON: %v\n%q", err, line)
		}
		events = append(events, string(hec.Event))
	}
	checkControlEvents(t, "file line's event", events, ids)

	if dlq := testkit.ReadAll(t, d.brokers, d.dlq); len(dlq) != 0 {
		t.Errorf("the DLQ holds %d records, want none; the first: %q (%s)", len(dlq), dlq[0].Value, testkit.Header(dlq[0], "dlq.reason"))
	}
}

// checkControlEvents checks that each of docs is a strict JSON event, one
// per id of ids, and that the control events hold their original values.
func checkControlEvents(t *testing.T, what string, docs []string, ids []string) {
	t.Helper()
	seen := map[string]int{}
	for _, doc := range docs {
		var ev struct {
			EventID string `json:"eventId"`
			Actor   struct {
				Name string `json:"name"`
				User struct {
					Name string `json:"name"`
				} `json:"user"`
			} `json:"actor"`
			Metadata struct {
				Note string `json:"note"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(doc), &ev); err != nil {
			t.Fatalf("%s is not strict JSON: %v\n%q", what, err, doc)
		}
		seen[ev.EventID]++
		if (ev.EventID == "ctl-1" && (ev.Actor.Name != "A\x01B" || ev.Metadata.Note != "l1\nl2\tx\x00\x1f")) ||
			(ev.EventID == "ctl-2\x01" && ev.Actor.User.Name != "tab\there\r\n") {
			t.Errorf("%s of %q = %s; want the original values", what, ev.EventID, doc)
		}
	}
	checkAllDelivered(t, ids, func(id string) bool { return seen[id] == 1 })
	if len(docs) != len(ids) {
		t.Errorf("%d of %s, want %d", len(docs), what, len(ids))
	}
}
