package record

import (
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
)

const (
	// alertReserve is kept free below the brokers' limit when an alert is
	// cut to fit: Size estimates, and compression may add bytes.
	alertReserve = 512
	// maxAlertKey caps the key of an alert record that must be cut to fit
	// (the actor): enough to keep a real member id whole.
	maxAlertKey = 256
)

// Alert is one alert as its record carries it (README, "Alerts"): its
// JSON, and the fields its key and headers repeat.
type Alert struct {
	ID       string
	Rule     string
	Severity string
	Actor    string // the key; the rule when empty
	JSON     []byte // the value
	// Producer is the program that decided the alert (the producer
	// header): ProducerInventory, or detect's when empty.
	Producer string
}

// Message builds the record of a on topic: keyed by actor (else rule), with
// the alert's id, rule and severity as headers.
func (a Alert) Message(topic string) kafka.Message {
	key := a.Actor
	if key == "" {
		key = a.Rule
	}
	producer := a.Producer
	if producer == "" {
		producer = producerDetect
	}
	return kafka.Message{Topic: topic, Key: []byte(key), Value: a.JSON, Headers: []kafka.Header{
		{Key: HeaderAlertID, Value: []byte(a.ID)},
		{Key: HeaderRule, Value: []byte(a.Rule)},
		{Key: HeaderSeverity, Value: []byte(a.Severity)},
		{Key: HeaderContentType, Value: []byte(contentTypeJSON)},
		{Key: HeaderProducer, Value: []byte(producer)},
	}}
}

// FitAlert returns msg, an alert record, cut to fit maxBytes (the brokers'
// limit, KAFKA_MAX_MESSAGE_BYTES) less a margin, and whether it had to be:
// an alert is cut and delivered, never refused. The key is cut to 256
// bytes, on a character boundary; shrink re-encodes the value in at most
// limit bytes, flagged "truncated":true (detect.Alert.MarshalFit). Its
// error is returned as is.
func FitAlert(msg kafka.Message, maxBytes int, shrink func(value []byte, limit int) ([]byte, error)) (kafka.Message, bool, error) {
	if Size(msg) <= maxBytes-alertReserve {
		return msg, false, nil
	}
	msg.Key = cutUTF8(msg.Key, maxAlertKey)
	value, err := shrink(msg.Value, maxBytes-alertReserve-(Size(msg)-len(msg.Value)))
	if err != nil {
		return msg, false, err
	}
	msg.Value = value
	return msg, true, nil
}

// cutUTF8 returns the first n bytes of b or fewer, on a character boundary.
func cutUTF8(b []byte, n int) []byte {
	if n >= len(b) {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
