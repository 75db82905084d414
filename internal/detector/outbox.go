package detector

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/record"
)

// queue encodes alerts for the outbox, and counts them.
func (d *Detector) queue(alerts []detect.Alert) ([]Queued, error) {
	outbox := make([]Queued, len(alerts))
	for i, a := range alerts {
		payload, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		outbox[i] = Queued{ID: a.ID, Payload: payload}
		d.m.alerts.WithLabelValues(a.Rule, a.Severity).Inc()
	}
	return outbox, nil
}

// flushOutbox produces the alerts decided but not yet acknowledged, and
// marks them sent once Kafka acknowledged them. An alert whose record
// would exceed KAFKA_MAX_MESSAGE_BYTES is cut to fit (alertRecord), so
// that no record is refused for its size: refused again on every retry, it
// would restart detect in a loop. Produce requests need no such care here:
// the publisher bounds its batches by the same limit and splits any the
// brokers still refuse.
func (d *Detector) flushOutbox(ctx context.Context) error {
	pending, err := d.store.Pending(ctx, d.cfg.Name)
	if err != nil || len(pending) == 0 {
		return err
	}
	msgs := make([]kafka.Message, len(pending))
	for i, q := range pending {
		if msgs[i], err = d.alertRecord(q); err != nil {
			return err
		}
	}
	if err := d.pub.Write(ctx, msgs); err != nil {
		return fmt.Errorf("write %d alerts: %w", len(msgs), err)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = record.Header(m, record.HeaderAlertID)
	}
	return d.store.Sent(ctx, d.cfg.Name, ids)
}

// alertRecord is the record of a queued alert (record.Alert), cut to
// KAFKA_MAX_MESSAGE_BYTES when it is larger (record.FitAlert, the alert by
// detect.Alert.MarshalFit), logged and counted.
func (d *Detector) alertRecord(q Queued) (kafka.Message, error) {
	var hdr struct{ Actor, Rule, Severity string }
	_ = json.Unmarshal(q.Payload, &hdr)
	msg := record.Alert{ID: q.ID, Rule: hdr.Rule, Severity: hdr.Severity, Actor: hdr.Actor, JSON: q.Payload}.Message(d.cfg.AlertsTopic)
	size := record.Size(msg)
	var a detect.Alert
	msg, cut, err := record.FitAlert(msg, d.cfg.MaxMessageBytes, func(value []byte, limit int) ([]byte, error) {
		if err := json.Unmarshal(value, &a); err != nil {
			return nil, fmt.Errorf("alert %s: %d bytes over KAFKA_MAX_MESSAGE_BYTES, and not readable to cut: %w", q.ID, size, err)
		}
		b, _, err := a.MarshalFit(limit)
		if err != nil {
			return nil, fmt.Errorf("cut alert to KAFKA_MAX_MESSAGE_BYTES: %w", err)
		}
		return b, nil
	})
	if cut {
		d.m.truncated.Inc()
		d.log.Warn().Str("alert", a.ID).Str("rule", a.Rule).Int("bytes", size).Int("max_bytes", d.cfg.MaxMessageBytes).
			Msg("alert larger than KAFKA_MAX_MESSAGE_BYTES: cut to fit and flagged truncated")
	}
	return msg, err
}

// deadLetter is the DLQ record of a record detect cannot read
// (record.Letter, stage detect): one that would not fit maxBytes keeps the
// beginning of its value, flagged dlq.truncated with dlq.originalSize:
// refused whole by the brokers, it would stop detect at every save.
func deadLetter(topic string, m kafka.Message, cause error, maxBytes int) kafka.Message {
	return record.Letter{Key: m.Key, Value: m.Value, Headers: m.Headers, Reason: "invalid record: " + cause.Error(),
		Stage: record.StageDetect, Source: &m, Time: time.Now()}.Message(topic, maxBytes)
}
