package publish

import (
	"strconv"
	"strings"
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
	dlqOversizedReserve  = 4 << 10 // margin under the limit for a truncated DLQ record
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

// Header names a dead letter read from Kafka carries about its source.
const (
	HeaderDLQSourceTopic     = "dlq.source.topic"
	HeaderDLQSourcePartition = "dlq.source.partition"
	HeaderDLQSourceOffset    = "dlq.source.offset"
)

// Letter is a record that cannot go on, and why: what a dead letter says.
type Letter struct {
	Key   []byte
	Value []byte // the original bytes
	// Headers are the original record's; its dlq.* headers (a dead letter
	// sent on again) are replaced by this letter's.
	Headers []kafka.Header
	Reason  string
	Stage   string // "extract", "forward:<sink>"
	// Source is the record as read from Kafka (its topic, partition and
	// offset become dlq.source.* headers); nil when it was not read from
	// Kafka.
	Source *kafka.Message
	Time   time.Time
}

// Message builds the dead-letter record of l for topic. It keeps the key,
// the value and the original headers, and adds dlq.reason, dlq.stage,
// dlq.source.topic/partition/offset (with a Source), dlq.time and
// dlq.originalSize (the value's length). A record that would exceed
// maxBytes (the brokers' limit, KAFKA_MAX_MESSAGE_BYTES) has its value
// cut to fit, less a margin, and says so with dlq.truncated: true, so the
// loss is visible and counted rather than a record the brokers refuse. A
// letter of a dead letter already cut keeps its flag and original size.
func (l Letter) Message(topic string, maxBytes int) kafka.Message {
	h := make([]kafka.Header, 0, len(l.Headers)+8)
	size := strconv.Itoa(len(l.Value))
	cut := false // a dead letter cut before, sent on again: still cut
	for _, x := range l.Headers {
		switch {
		case x.Key == HeaderDLQTruncated && string(x.Value) == "true":
			cut = true
		case x.Key == HeaderDLQSize:
			size = string(x.Value)
		case !strings.HasPrefix(x.Key, "dlq."):
			h = append(h, x)
		}
	}
	if !cut {
		size = strconv.Itoa(len(l.Value))
	}
	h = append(h,
		kafka.Header{Key: HeaderDLQReason, Value: []byte(l.Reason)},
		kafka.Header{Key: HeaderDLQStage, Value: []byte(l.Stage)})
	if m := l.Source; m != nil {
		h = append(h,
			kafka.Header{Key: HeaderDLQSourceTopic, Value: []byte(m.Topic)},
			kafka.Header{Key: HeaderDLQSourcePartition, Value: []byte(strconv.Itoa(m.Partition))},
			kafka.Header{Key: HeaderDLQSourceOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))})
	}
	h = append(h,
		kafka.Header{Key: HeaderDLQTime, Value: []byte(l.Time.UTC().Format(time.RFC3339Nano))},
		kafka.Header{Key: HeaderDLQSize, Value: []byte(size)})
	msg := kafka.Message{Topic: topic, Key: l.Key, Value: l.Value, Headers: h}
	limit := maxBytes - dlqOversizedReserve
	if over := maxBytes > 0 && Size(msg) > limit; over || cut {
		msg.Headers = append(msg.Headers, kafka.Header{Key: HeaderDLQTruncated, Value: []byte("true")})
		if over {
			msg.Value = l.Value[:min(max(limit-(Size(msg)-len(l.Value)), 0), len(l.Value))]
		}
	}
	return msg
}

// DeadLetter builds extract's dead-letter record for bytes that could not
// be produced as an event (Letter.Message with stage extract): the value
// keeps the original bytes, cut to fit maxBytes and flagged when larger.
func DeadLetter(topic string, raw []byte, reason string, maxBytes int, now time.Time) kafka.Message {
	return Letter{Value: raw, Reason: reason, Stage: dlqStageExtract, Time: now,
		Headers: []kafka.Header{{Key: HeaderProducer, Value: []byte(producerName)}}}.Message(topic, maxBytes)
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
