package record

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
)

func header(m kafka.Message, k string) string {
	for _, h := range m.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

func TestEventMessageKeysByActorElseEventID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC)
	tests := []struct {
		ev      event.Event
		wantKey string
	}{
		{event.Event{ID: "e1", ActorID: "m7", Type: "UserLoggedIn", Ingested: at}, "m7"},
		{event.Event{ID: "e2", Type: "ImportExecuted", Ingested: at}, "e2"},
	}
	for _, tt := range tests {
		m := Event("events", tt.ev)
		if string(m.Key) != tt.wantKey || header(m, HeaderEventID) != tt.ev.ID || header(m, HeaderEventType) != tt.ev.Type ||
			header(m, HeaderIngestion) != "2026-01-02T03:04:05.006Z" || m.Topic != "events" {
			t.Errorf("Event(%+v) = key %q headers %v, want key %q", tt.ev, m.Key, m.Headers, tt.wantKey)
		}
	}
}

func TestDeadLetterKeepsBytesOrSaysItCutThem(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	small := DeadLetter("dlq", []byte(`{"x":1}`), "missing eventId", 1_000_000, now)
	if string(small.Value) != `{"x":1}` || header(small, HeaderDLQTruncated) != "" || header(small, HeaderDLQReason) != "missing eventId" {
		t.Errorf("small dead letter = %q %v", small.Value, small.Headers)
	}
	raw := []byte(strings.Repeat("y", 50_000))
	big := DeadLetter("dlq", raw, "oversized", 20_000, now)
	if len(big.Value) > 20_000 || header(big, HeaderDLQTruncated) != "true" || header(big, HeaderDLQSize) != "50000" {
		t.Errorf("big dead letter: %d bytes, headers %v", len(big.Value), big.Headers)
	}
	if Size(big) > 20_000 {
		t.Errorf("truncated dead letter is %d bytes, over the 20000 limit", Size(big))
	}
}

// A record read from Kafka keeps its key and headers (its old dlq.* ones
// replaced) and says where it came from; one above the limit, headers
// included, is cut to fit and flagged.
func TestLetterFromKafkaKeepsItsHeadersAndFits(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	src := kafka.Message{Topic: "events", Partition: 2, Offset: 41, Key: []byte("m7"), Headers: []kafka.Header{
		{Key: HeaderEventID, Value: []byte("e1")}, {Key: HeaderDLQReason, Value: []byte("an older refusal")}}}
	l := Letter{Key: src.Key, Value: []byte(strings.Repeat("z", 30_000)), Headers: src.Headers,
		Reason: "mapper_parsing_exception", Stage: "forward:elastic", Source: &src, Time: now}
	m := l.Message("dlq", 20_000)
	for k, want := range map[string]string{HeaderEventID: "e1", HeaderDLQReason: "mapper_parsing_exception",
		HeaderDLQStage: "forward:elastic", HeaderDLQSourceTopic: "events", HeaderDLQSourcePartition: "2",
		HeaderDLQSourceOffset: "41", HeaderDLQSize: "30000", HeaderDLQTruncated: "true", HeaderDLQTime: "2026-01-02T00:00:00Z"} {
		if got := header(m, k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if n := len(m.Headers); n != 9 {
		t.Errorf("%d headers, want 9 (the older dlq.reason replaced): %v", n, m.Headers)
	}
	if Size(m) > 20_000 || len(m.Value) < 10_000 || string(m.Key) != "m7" || m.Topic != "dlq" {
		t.Errorf("dead letter of %d bytes (value %d, key %q, topic %q), want the key and most of the value within 20000",
			Size(m), len(m.Value), m.Key, m.Topic)
	}
	if whole := l.Message("dlq", 1_000_000); len(whole.Value) != 30_000 || header(whole, HeaderDLQTruncated) != "" {
		t.Errorf("a letter under the limit was cut to %d bytes (truncated %q)", len(whole.Value), header(whole, HeaderDLQTruncated))
	}
	// Refused again (replay-dlq), the cut letter stays flagged with the
	// size of the original.
	again := Letter{Key: m.Key, Value: m.Value, Headers: m.Headers, Reason: "invalid record", Stage: "forward:elastic",
		Source: &m, Time: now}.Message("dlq", 1_000_000)
	if header(again, HeaderDLQTruncated) != "true" || header(again, HeaderDLQSize) != "30000" || len(again.Value) != len(m.Value) {
		t.Errorf("a cut dead letter refused again: truncated %q, originalSize %q, %d bytes; want true, 30000, %d",
			header(again, HeaderDLQTruncated), header(again, HeaderDLQSize), len(again.Value), len(m.Value))
	}
}

func TestAlertKeysByActorElseRule(t *testing.T) {
	tests := []struct {
		a       Alert
		wantKey string
	}{
		{Alert{ID: "a1", Rule: "bulk-deletion", Severity: "high", Actor: "m7", JSON: []byte(`{}`)}, "m7"},
		{Alert{ID: "a2", Rule: "off-hours", Severity: "low", JSON: []byte(`{}`)}, "off-hours"},
	}
	for _, tt := range tests {
		m := tt.a.Message("alerts")
		if string(m.Key) != tt.wantKey || header(m, HeaderAlertID) != tt.a.ID || header(m, HeaderRule) != tt.a.Rule ||
			header(m, HeaderSeverity) != tt.a.Severity || header(m, HeaderProducer) != "pigment-detect" || m.Topic != "alerts" {
			t.Errorf("Alert(%+v).Message = key %q headers %v, want key %q", tt.a, m.Key, m.Headers, tt.wantKey)
		}
	}
}

// An alert over the limit has its key cut on a character boundary and its
// value shrunk into the room left; one under it is left alone.
func TestFitAlertCutsKeyAndValue(t *testing.T) {
	shrink := func(value []byte, limit int) ([]byte, error) { return value[:limit], nil }
	small := Alert{ID: "a1", Rule: "r", Actor: "m7", JSON: []byte(`{"id":"a1"}`)}.Message("alerts")
	if m, cut, err := FitAlert(small, 20_000, shrink); err != nil || cut || string(m.Value) != `{"id":"a1"}` {
		t.Errorf("FitAlert(small) = %q, %v, %v; want it whole", m.Value, cut, err)
	}
	big := Alert{ID: "a2", Rule: "r", Actor: strings.Repeat("é", 300), JSON: []byte(strings.Repeat("v", 30_000))}.Message("alerts")
	m, cut, err := FitAlert(big, 20_000, shrink)
	if err != nil || !cut || len(m.Key) != 256 || Size(m) > 20_000-alertReserve {
		t.Errorf("FitAlert(big): key %d bytes, %d bytes in all, cut %v, %v; want a 256-byte key, within 20000 less the margin", len(m.Key), Size(m), cut, err)
	}
}
