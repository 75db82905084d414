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
