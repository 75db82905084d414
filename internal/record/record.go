// Package record is the Kafka record contract: the header names (all in
// header.go), the builders of every record the programs write (an event
// for extract, an alert for detect, a dead letter of any stage, cut to fit
// the brokers' limit) and the readers of those headers (replay-dlq). The
// contract is documented in the README ("The topic contract", forward's
// dead letters, detect's alerts); this package is the one place in the
// code that knows it. It does no I/O: internal/publish writes the records.
package record

import "github.com/segmentio/kafka-go"

// Size is the number of bytes a record occupies in a produce request, close
// enough to compare with the broker's message.max.bytes.
func Size(m kafka.Message) int {
	n := len(m.Key) + len(m.Value) + 64
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	return n
}
