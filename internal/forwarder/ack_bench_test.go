package forwarder_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// BenchmarkForwardHECAck measures forward → Splunk HEC with indexer
// acknowledgement (gzip, 8 senders, batches of 2,000, the defaults of
// forward run with SPLUNK_HEC_ACK=true, and an ack timeout of 2s) over one
// topic of BENCH_ACK_EVENTS (default 200,000) simulator events, in one run:
// with every ack confirmed, with the 2nd and 9th requests' acks and 1 % of
// the others lost (SPLUNK_HEC_ACK_PENDING_BYTES at its default), and the
// same losses with batches keeping their sender until confirmed (as before
// AckPendingBytes). The receiver confirms an ackId at its first poll.
func BenchmarkForwardHECAck(b *testing.B) {
	brokers, broker, topic, n := benchTopic(b, "BENCH_ACK_EVENTS", 200_000)
	hecOpts := transform.HECOptions{Host: "bench"}
	format := func(d []byte, ev *event.Event) []byte { return transform.AppendHEC(d, ev, hecOpts) }
	cases := []struct {
		name    string
		lose    []int
		frac    float64
		pending int
	}{
		{"no-loss", nil, 0, 128 << 20},
		{"lost-1pct", []int{2, 9}, 0.01, 128 << 20},
		{"lost-1pct-ack-in-sender", []int{2, 9}, 0.01, 0},
	}
	rates := map[string]float64{}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var resent, requests, lost int64
			rates[tc.name] = measure(b, n, broker, func(group string) {
				rcv := newAckingHEC(b, tc.lose, tc.frac, 1)
				sink, err := sinks.NewHEC(sinks.HECConfig{URL: rcv.url, Token: "t", Gzip: true, Ack: true, AckTimeout: 2 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				resent += forwardAcked(b, brokers, topic, group, n, sink, format, tc.pending)
				requests += rcv.requests.Load()
				lost += rcv.lostCount()
			})
			b.ReportMetric(float64(resent)/float64(b.N), "resent-records/op")
			b.ReportMetric(float64(lost)/float64(b.N), "lost-acks/op")
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
		})
	}
	if len(rates) < len(cases) {
		return // filtered by -bench
	}
	base := rates["no-loss"]
	for _, tc := range cases {
		fmt.Printf("%-24s %9.0f events/s  %.2f x no-loss\n", tc.name, rates[tc.name], rates[tc.name]/base)
	}
}

// forwardAcked forwards n records with AckPendingBytes pending and returns
// how many records were sent again for want of an acknowledgement.
func forwardAcked(b *testing.B, brokers, topic, group string, n int, sink forwarder.Sink, format forwarder.Format, pending int) int64 {
	var resent atomic.Int64
	forwardAll(b, brokers, topic, group, n, sink, format, forwarder.Config{BatchSize: 2000, Senders: 8, AckPendingBytes: pending,
		Logger: zerolog.New(resentCounter{&resent}).Level(zerolog.WarnLevel)})
	return resent.Load()
}

// resentCounter adds up the records of the forwarder's "sending those
// records again" warnings (with the ack in the sender, the retry warnings).
type resentCounter struct{ n *atomic.Int64 }

func (r resentCounter) Write(p []byte) (int, error) {
	var l struct {
		Records int64  `json:"records"`
		Message string `json:"message"`
	}
	if json.Unmarshal(p, &l) == nil && (strings.Contains(l.Message, "again") || strings.Contains(l.Message, "retry")) {
		r.n.Add(l.Records)
	}
	return len(p), nil
}
