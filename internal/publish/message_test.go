package publish

import (
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/pigment"
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
		ev      pigment.Event
		wantKey string
	}{
		{pigment.Event{ID: "e1", ActorID: "m7", Type: "UserLoggedIn", IngestionTime: at}, "m7"},
		{pigment.Event{ID: "e2", Type: "ImportExecuted", IngestionTime: at}, "e2"},
	}
	for _, tt := range tests {
		m := EventMessage("events", tt.ev)
		if string(m.Key) != tt.wantKey || header(m, HeaderEventID) != tt.ev.ID || header(m, HeaderEventType) != tt.ev.Type ||
			header(m, HeaderIngestion) != "2026-01-02T03:04:05.006Z" || m.Topic != "events" {
			t.Errorf("EventMessage(%+v) = key %q headers %v, want key %q", tt.ev, m.Key, m.Headers, tt.wantKey)
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

func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{kafka.TopicAuthorizationFailed, true},
		{kafka.MessageSizeTooLarge, true},
		{kafka.WriteErrors{nil, kafka.SASLAuthenticationFailed}, true},
		{kafka.NotEnoughReplicas, false},
		{kafka.WriteErrors{kafka.LeaderNotAvailable, nil}, false},
	}
	for _, tt := range tests {
		if got := permanent(tt.err); got != tt.want {
			t.Errorf("permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
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
