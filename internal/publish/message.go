package publish

import (
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/pigment"
)

// Header names of the topic contract (README, "Topic contract"). They are
// stable: consumers filter and route on them without parsing the value.
const (
	HeaderEventID     = "eventId"
	HeaderEventType   = "eventType"
	HeaderIngestion   = "ingestionTimestamp"
	HeaderContentType = "contentType"
	// HeaderCompleteBefore is an ingestion time before which every event
	// is already in the topic (the run's ingestedSince): consumers that
	// decide on event-time windows know no older event is still to come,
	// save for the ingestion lag.
	HeaderCompleteBefore = "completeBefore"
	HeaderProducer       = "producer"
	HeaderDLQReason      = "dlq.reason"
	HeaderDLQStage       = "dlq.stage"
	HeaderDLQTime        = "dlq.time"
	HeaderDLQSize        = "dlq.originalSize"
	HeaderDLQTruncated   = "dlq.truncated"
	contentTypeJSON      = "application/json"
	producerName         = "pigment-extract"
	dlqStageExtract      = "extract"
	dlqOversizedReserve  = 4 << 10 // room left for headers in a truncated DLQ record
)

// EventMessage builds the Kafka record for one audit event: the value is the
// event's JSON exactly as the API sent it; the key is the actor's key
// (internal/actor: its id, else its email, whatever the envelope) so that
// one member's events share a partition (the eventId when there is no actor).
func EventMessage(topic string, ev pigment.Event) kafka.Message {
	key := ev.ActorID
	if key == "" {
		key = ev.ID
	}
	return kafka.Message{
		Topic: topic,
		Key:   []byte(key),
		Value: ev.Raw,
		Headers: []kafka.Header{
			{Key: HeaderEventID, Value: []byte(ev.ID)},
			{Key: HeaderEventType, Value: []byte(ev.Type)},
			{Key: HeaderIngestion, Value: []byte(ev.IngestionTime.UTC().Format(time.RFC3339Nano))},
			{Key: HeaderContentType, Value: []byte(contentTypeJSON)},
			{Key: HeaderProducer, Value: []byte(producerName)},
		},
	}
}

// CompleteBefore is the HeaderCompleteBefore header for time t.
func CompleteBefore(t time.Time) kafka.Header {
	return kafka.Header{Key: HeaderCompleteBefore, Value: []byte(t.UTC().Format(time.RFC3339Nano))}
}

// DeadLetter builds a dead-letter record for bytes that could not be
// produced as an event. The value keeps the original bytes; when they exceed
// maxBytes they are cut to fit and the record says so in its headers, with
// the original size, so the loss is visible and counted rather than silent.
func DeadLetter(topic string, raw []byte, reason string, maxBytes int, now time.Time) kafka.Message {
	h := []kafka.Header{
		{Key: HeaderDLQReason, Value: []byte(reason)},
		{Key: HeaderDLQStage, Value: []byte(dlqStageExtract)},
		{Key: HeaderDLQTime, Value: []byte(now.UTC().Format(time.RFC3339Nano))},
		{Key: HeaderDLQSize, Value: []byte(strconv.Itoa(len(raw)))},
		{Key: HeaderProducer, Value: []byte(producerName)},
	}
	if limit := maxBytes - dlqOversizedReserve; maxBytes > 0 && len(raw) > limit {
		raw = raw[:max(limit, 0)]
		h = append(h, kafka.Header{Key: HeaderDLQTruncated, Value: []byte("true")})
	}
	return kafka.Message{Topic: topic, Value: raw, Headers: h}
}

// Size is the number of bytes a record occupies in a produce request, close
// enough to compare with the broker's message.max.bytes.
func Size(m kafka.Message) int {
	n := len(m.Key) + len(m.Value) + 64
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	return n
}
