package record

import (
	"strings"

	"github.com/segmentio/kafka-go"
)

// Header names of the topic contract (README, "The topic contract",
// forward's dead letters, detect's alerts): every one the programs write or
// read is defined here. They are stable: consumers filter and route on them
// without parsing the value.
const (
	// Events (extract).
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

	// Alerts (detect).
	HeaderAlertID  = "alertId"
	HeaderRule     = "rule"
	HeaderSeverity = "severity"

	// Dead letters (every stage).
	HeaderDLQReason    = "dlq.reason"
	HeaderDLQStage     = "dlq.stage"
	HeaderDLQTime      = "dlq.time"
	HeaderDLQSize      = "dlq.originalSize"
	HeaderDLQTruncated = "dlq.truncated"
	// What a dead letter read from Kafka says about its source.
	HeaderDLQSourceTopic     = "dlq.source.topic"
	HeaderDLQSourcePartition = "dlq.source.partition"
	HeaderDLQSourceOffset    = "dlq.source.offset"
	// dlqPrefix starts every dead-letter header: a letter replaces those of
	// the record it carries.
	dlqPrefix = "dlq."
)

// Values of the headers that are fixed.
const (
	contentTypeJSON = "application/json"
	producerExtract = "pigment-extract"
	producerDetect  = "pigment-detect"
	// ProducerInventory is the producer header of inventory's findings.
	ProducerInventory = "pigment-inventory"
	StageExtract      = "extract"
	StageDetect       = "detect"
	stageForwardHead  = "forward:"
)

// StageForward is the dlq.stage of the dead letters sink refused.
func StageForward(sink string) string { return stageForwardHead + sink }

// Header returns the value of m's header name ("" when absent), its name
// compared without regard to case; the first one when m has several.
func Header(m kafka.Message, name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Key, name) {
			return string(h.Value)
		}
	}
	return ""
}
