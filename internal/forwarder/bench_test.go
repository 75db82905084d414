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
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// BenchmarkForward measures, in one run on one broker and one topic of
// BENCH_EVENTS (default 1,000,000) simulator events of ~550 bytes: the raw
// kafka-go consume rate (a Reader with a group, counting only) as the
// baseline, then the full forward rate (consume, parse, format, send,
// commit) into counting receivers that speak each sink's protocol and into
// the archive in the local Postgres (a fresh database), then the
// raw rate again: the machine's speed drifts, and the ratios printed at the
// end are against the mean of the two raw runs. Figures: events/s, CPU time
// per event of this process (consumer, forwarder and receivers) and of the
// broker's, peak heap. BENCH_PROFILE_DIR=dir writes a CPU profile of each
// measured run there.
func BenchmarkForward(b *testing.B) {
	brokers, broker, topic, n := benchTopic(b, "BENCH_EVENTS", 1_000_000)

	consume := func(group string) { benchkit.RawConsume(b, brokers, topic, group, n) }
	// The broker serves the first read of a freshly written topic at up
	// to twice the CPU of later ones (garbage from the writes): a read not
	// measured comes first, so the baseline is not made slow by it.
	consume(testkit.Name("warm-up"))
	rates := map[string]float64{}
	rawConsume := func(b *testing.B) { rates[b.Name()] = measure(b, n, broker, consume) }
	b.Run("raw-consume", rawConsume)
	logger := zerolog.Nop()
	hecURL, _ := benchkit.CountingHEC(b)
	hec, err := sinks.NewHEC(sinks.HECConfig{URL: hecURL, Token: "t", Gzip: true})
	if err != nil {
		b.Fatal(err)
	}
	hecPlain, err := sinks.NewHEC(sinks.HECConfig{URL: hecURL, Token: "t"})
	if err != nil {
		b.Fatal(err)
	}
	esURL := benchkit.CountingElastic(b)
	es, err := sinks.NewElastic(sinks.ElasticConfig{URL: esURL, APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	sys, err := sinks.NewSyslog(sinks.SyslogConfig{Addr: benchkit.CountingSyslog(b), Network: "tcp"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sys.Close() }) // its connection ends the receiver's reading goroutine
	archive, archiveCPU := benchArchive(b)
	hecOpts := transform.HECOptions{Host: "bench"}
	sysOpts := transform.SyslogOptions{Hostname: "bench", AppName: "pigment", Facility: 13}
	cases := []struct {
		name    string
		sink    forwarder.Sink
		format  forwarder.Format
		batch   int
		senders int
	}{
		{"splunk-hec", hec, func(d []byte, ev *event.Event) []byte { return transform.AppendHEC(d, ev, hecOpts) }, 2000, 4},
		{"splunk-hec-no-gzip", hecPlain, func(d []byte, ev *event.Event) []byte { return transform.AppendHEC(d, ev, hecOpts) }, 2000, 4},
		{"elastic", es, transform.AppendECS, 2000, 2},
		{"syslog-tcp", sys, func(d []byte, ev *event.Event) []byte { return transform.AppendSyslog(d, ev, sysOpts) }, 5000, 1},
		{"postgres-archive", archive, transform.AppendArchive, 2000, 2},
	}
	// The CPU time of a sink's server, where it is measured.
	servers := map[string]func() time.Duration{"postgres-archive": archiveCPU}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var server time.Duration
			serverCPU := servers[tc.name]
			if serverCPU != nil {
				server = -serverCPU()
			}
			rates[b.Name()] = measure(b, n, broker, func(group string) {
				forwardAll(b, brokers, topic, group, n, tc.sink, tc.format, forwarder.Config{BatchSize: tc.batch, Senders: tc.senders, Logger: logger})
			})
			if serverCPU != nil {
				server += serverCPU()
				b.ReportMetric(float64(server.Microseconds())/float64(n*b.N), "server-cpu-µs/event")
			}
		})
	}
	b.Run("raw-consume-again", rawConsume)

	raw := (rates[b.Name()+"/raw-consume"] + rates[b.Name()+"/raw-consume-again"]) / 2
	if rates[b.Name()+"/raw-consume"] == 0 || rates[b.Name()+"/raw-consume-again"] == 0 {
		return // filtered by -bench
	}
	fmt.Printf("raw kafka-go consume, mean of the first and last run: %.0f events/s\n", raw)
	for _, tc := range cases {
		if r, ok := rates[b.Name()+"/"+tc.name]; ok { // the cases -bench left in
			fmt.Printf("%-18s %9.0f events/s  %.2f x raw\n", tc.name, r, r/raw)
		}
	}
}

// BenchmarkForwardHECAck measures forward → Splunk HEC with indexer
// acknowledgement (gzip, 8 senders as forward run has by default with
// SPLUNK_HEC_ACK=true, batches of 2,000, and an ack timeout of 2s) over one
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
