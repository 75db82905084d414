package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// Legal but unusual events, written with zstd (a codec the other process
// tests do not use), reach the file sink whole and once, with the HEC time
// each calls for: a 60 KB event, nine-digit fractions of a second, a time
// far in the future, one before 1970, and a leap second (not a time Go
// reads: the ingestion time stands in). None is dead-lettered.
func TestUnusualEventsReachTheFile(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 0)
	big := strings.Repeat("é0123456789abcdef", 60<<10/18)
	events := map[string]struct{ raw, time string }{
		"big":    {`{"eventId":"big","eventType":"DataExported","eventTimestamp":"2026-11-30T10:00:00Z","ingestionTimestamp":"2026-11-30T10:00:01Z","metadata":{"blob":"` + big + `"}}`, `"time":1796032800.000,`},
		"nano":   {`{"eventId":"nano","eventType":"UserLoggedIn","eventTimestamp":"2026-11-30T10:00:00.123456789Z","ingestionTimestamp":"2026-11-30T10:00:01.999999999+02:00"}`, `"time":1796032800.123,`},
		"future": {`{"eventId":"future","eventType":"UserLoggedIn","eventTimestamp":"2099-12-31T23:59:59.999999999Z","ingestionTimestamp":"2026-11-30T10:00:01Z"}`, `"time":4102444799.999,`},
		"past":   {`{"eventId":"past","eventType":"UserLoggedIn","eventTimestamp":"1969-12-31T23:59:59.5Z","ingestionTimestamp":"2026-11-30T10:00:01Z"}`, `"time":-0.500,`},
		"leap":   {`{"eventId":"leap","eventType":"UserLoggedIn","eventTimestamp":"2016-12-31T23:59:60Z","ingestionTimestamp":"2026-11-30T10:00:01Z"}`, `"time":1796032801.000,`},
	}
	var msgs []kafka.Message
	for id, ev := range events {
		msgs = append(msgs, kafka.Message{Topic: d.topic, Key: []byte(id), Value: []byte(ev.raw)})
	}
	w, err := publish.New(publish.Config{Brokers: []string{d.brokers}, Compression: "zstd", Transport: testkit.Transport(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	w.Close()

	path := filepath.Join(t.TempDir(), "events.ndjson")
	env := d.env("file", map[string]string{"FILE_PATH": path, "FILE_FORMAT": "hec"})
	forwardUntil(t, d, env, d.records(t), func() bool { return true })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var hec struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal([]byte(line), &hec); err != nil {
			t.Fatalf("file line is not JSON: %v\n%.200q", err, line)
		}
		var ev struct {
			EventID string `json:"eventId"`
		}
		_ = json.Unmarshal(hec.Event, &ev)
		seen[ev.EventID]++
		want, ok := events[ev.EventID]
		if !ok {
			t.Errorf("unexpected event %q", ev.EventID)
			continue
		}
		if string(hec.Event) != want.raw {
			t.Errorf("%s: event changed on the way (%d bytes, want %d)", ev.EventID, len(hec.Event), len(want.raw))
		}
		if !strings.HasPrefix(line, "{"+want.time) {
			t.Errorf("%s: line starts %.60q, want it to start with {%s", ev.EventID, line, want.time)
		}
	}
	for id := range events {
		if seen[id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, seen[id])
		}
	}
	if dlq := testkit.ReadAll(t, d.brokers, d.dlq); len(dlq) != 0 {
		t.Errorf("the DLQ holds %d records, want none; the first: %.200q (%s)", len(dlq), dlq[0].Value, testkit.Header(dlq[0], "dlq.reason"))
	}
}
