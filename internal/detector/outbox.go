package detector

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// flushOutbox produces the alerts decided but not yet acknowledged. An
// alert whose record would exceed KAFKA_MAX_MESSAGE_BYTES is cut to fit
// (fitAlert), and the records are written in groups under that size, so
// that no produce request is refused for its size: a refused one would be
// refused again on every retry, and detect would restart in a loop.
func (d *Detector) flushOutbox(ctx context.Context) error {
	pending, err := d.store.Pending(ctx, d.cfg.Name)
	if err != nil || len(pending) == 0 {
		return err
	}
	msgs := make([]kafka.Message, len(pending))
	for i, a := range pending {
		var hdr struct{ Actor, Rule, Severity string }
		_ = json.Unmarshal(a.Payload, &hdr)
		if msgs[i], err = d.fitAlert(alertMessage(d.cfg.AlertsTopic, a.ID, hdr.Rule, hdr.Severity, hdr.Actor, a.Payload)); err != nil {
			return err
		}
	}
	for _, g := range groups(msgs, d.cfg.MaxMessageBytes) {
		if err := d.pub.Write(ctx, g); err != nil {
			return fmt.Errorf("write %d alerts: %w", len(g), err)
		}
		ids := make([]string, len(g))
		for i, m := range g {
			ids[i] = headerOf(m, "alertId")
		}
		if err := d.store.Sent(ctx, d.cfg.Name, ids); err != nil {
			return err
		}
	}
	return nil
}

// maxAlertKey caps the key of an alert record that must be cut to fit (the
// actor): enough to keep a real member id whole.
const maxAlertKey = 256

// fitAlert returns msg, cut to KAFKA_MAX_MESSAGE_BYTES when it is larger:
// the key to maxAlertKey bytes and the alert by detect.Alert.MarshalFit,
// flagged "truncated":true, logged and counted.
func (d *Detector) fitAlert(msg kafka.Message) (kafka.Message, error) {
	size := publish.Size(msg)
	if size <= d.cfg.MaxMessageBytes-recordReserve {
		return msg, nil
	}
	var a detect.Alert
	if err := json.Unmarshal(msg.Value, &a); err != nil {
		return msg, fmt.Errorf("alert %s: %d bytes over KAFKA_MAX_MESSAGE_BYTES, and not readable to cut: %w", headerOf(msg, "alertId"), size, err)
	}
	msg.Key = []byte(detect.CutKey(string(msg.Key), maxAlertKey))
	value, _, err := a.MarshalFit(d.cfg.MaxMessageBytes - recordReserve - (publish.Size(msg) - len(msg.Value)))
	if err != nil {
		return msg, fmt.Errorf("cut alert to KAFKA_MAX_MESSAGE_BYTES: %w", err)
	}
	msg.Value = value
	d.m.truncated.Inc()
	d.log.Warn().Str("alert", a.ID).Str("rule", a.Rule).Int("bytes", size).Int("max_bytes", d.cfg.MaxMessageBytes).
		Msg("alert larger than KAFKA_MAX_MESSAGE_BYTES: cut to fit and flagged truncated")
	return msg, nil
}

// headerOf returns the value of header key of m ("" when absent).
func headerOf(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// alertMessage is the record of one alert on the alerts topic (README,
// "Alerts"): keyed by actor (else rule), with the alert's id, rule and
// severity as headers.
func alertMessage(topic, id, rule, severity, actor string, payload []byte) kafka.Message {
	key := actor
	if key == "" {
		key = rule
	}
	return kafka.Message{Topic: topic, Key: []byte(key), Value: payload, Headers: []kafka.Header{
		{Key: "alertId", Value: []byte(id)},
		{Key: "rule", Value: []byte(rule)},
		{Key: "severity", Value: []byte(severity)},
		{Key: publish.HeaderContentType, Value: []byte("application/json")},
		{Key: publish.HeaderProducer, Value: []byte("pigment-detect")},
	}}
}

// deadLetter is the DLQ record of a record detect cannot read. One that
// would not fit maxBytes keeps the beginning of its value, flagged
// dlq.truncated with dlq.originalSize: refused whole by the brokers, it
// would stop detect at every save.
func deadLetter(topic string, m kafka.Message, cause error, maxBytes int) kafka.Message {
	h := append([]kafka.Header(nil), m.Headers...)
	h = append(h,
		kafka.Header{Key: publish.HeaderDLQReason, Value: []byte("invalid record: " + cause.Error())},
		kafka.Header{Key: publish.HeaderDLQStage, Value: []byte("detect")},
		kafka.Header{Key: "dlq.source.topic", Value: []byte(m.Topic)},
		kafka.Header{Key: "dlq.source.partition", Value: []byte(strconv.Itoa(m.Partition))},
		kafka.Header{Key: "dlq.source.offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
	)
	out := kafka.Message{Topic: topic, Key: m.Key, Value: m.Value, Headers: h}
	if publish.Size(out) > maxBytes-recordReserve {
		out.Headers = append(out.Headers,
			kafka.Header{Key: publish.HeaderDLQTruncated, Value: []byte("true")},
			kafka.Header{Key: publish.HeaderDLQSize, Value: []byte(strconv.Itoa(len(m.Value)))})
		over := publish.Size(out) - (maxBytes - recordReserve)
		out.Value = m.Value[:max(len(m.Value)-over, 0)]
	}
	return out
}

// recordReserve is kept free below KAFKA_MAX_MESSAGE_BYTES when detect cuts
// a record to fit: publish.Size estimates, and compression may add bytes.
const recordReserve = 512

// groups splits msgs, in order, into groups whose sizes add up to at most
// maxBytes (a record alone over it makes a group of its own), so that no
// produce request is refused for its size.
func groups(msgs []kafka.Message, maxBytes int) [][]kafka.Message {
	var out [][]kafka.Message
	start, size := 0, 0
	for i, m := range msgs {
		n := publish.Size(m)
		if i > start && size+n > maxBytes {
			out = append(out, msgs[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(msgs) {
		out = append(out, msgs[start:])
	}
	return out
}
