package record

import (
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// dlqOversizedReserve is the margin kept under the limit for a cut dead
// letter: Size estimates, and compression may add bytes.
const dlqOversizedReserve = 4 << 10

// Letter is a record that cannot go on, and why: what a dead letter says.
type Letter struct {
	Key   []byte
	Value []byte // the original bytes
	// Headers are the original record's; its dlq.* headers (a dead letter
	// sent on again) are replaced by this letter's.
	Headers []kafka.Header
	Reason  string
	Stage   string // StageExtract, StageForward(sink), StageDetect
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
		case !strings.HasPrefix(x.Key, dlqPrefix):
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
	return Letter{Value: raw, Reason: reason, Stage: StageExtract, Time: now,
		Headers: []kafka.Header{{Key: HeaderProducer, Value: []byte(producerExtract)}}}.Message(topic, maxBytes)
}
