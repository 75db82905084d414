package record

import (
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
)

// Event builds the Kafka record for one audit event: the value is the
// event's JSON exactly as the API sent it; the key is the actor's key
// (internal/actor: its id, else its email, whatever the envelope) so that
// one member's events share a partition (the eventId when there is no actor).
func Event(topic string, ev event.Event) kafka.Message {
	key := ev.ActorKey()
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
			{Key: HeaderIngestion, Value: []byte(ev.Ingested.UTC().Format(time.RFC3339Nano))},
			{Key: HeaderContentType, Value: []byte(contentTypeJSON)},
			{Key: HeaderProducer, Value: []byte(producerExtract)},
		},
	}
}

// CompleteBefore is the HeaderCompleteBefore header for time t.
func CompleteBefore(t time.Time) kafka.Header {
	return kafka.Header{Key: HeaderCompleteBefore, Value: []byte(t.UTC().Format(time.RFC3339Nano))}
}
