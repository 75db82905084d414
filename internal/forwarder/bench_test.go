package forwarder_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/transform"
	"github.com/pigment-siem/pipeline/migrations"
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

	consume := func(group string) {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{brokers}, GroupID: group, GroupTopics: []string{topic},
			StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 4096})
		defer r.Close()
		for i := 0; i < n; i++ {
			if _, err := r.FetchMessage(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	// The broker serves the first read of a freshly written topic at up
	// to twice the CPU of later ones (garbage from the writes): a read not
	// measured comes first, so the baseline is not made slow by it.
	consume(testkit.Name("warm-up"))
	rates := map[string]float64{}
	rawConsume := func(b *testing.B) { rates[b.Name()] = measure(b, n, broker, consume) }
	b.Run("raw-consume", rawConsume)
	logger := zerolog.Nop()
	hecURL, _ := countingHEC(b)
	hec, err := sinks.NewHEC(sinks.HECConfig{URL: hecURL, Token: "t", Gzip: true})
	if err != nil {
		b.Fatal(err)
	}
	hecPlain, err := sinks.NewHEC(sinks.HECConfig{URL: hecURL, Token: "t"})
	if err != nil {
		b.Fatal(err)
	}
	esURL := countingElastic(b)
	es, err := sinks.NewElastic(sinks.ElasticConfig{URL: esURL, APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	sys, err := sinks.NewSyslog(sinks.SyslogConfig{Addr: countingSyslog(b), Network: "tcp"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sys.Close() }) // its connection ends the receiver's reading goroutine
	archive := benchArchive(b)
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
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			rates[b.Name()] = measure(b, n, broker, func(group string) {
				forwardAll(b, brokers, topic, group, n, tc.sink, tc.format, forwarder.Config{BatchSize: tc.batch, Senders: tc.senders, Logger: logger})
			})
		})
	}
	b.Run("raw-consume-again", rawConsume)

	raw := (rates[b.Name()+"/raw-consume"] + rates[b.Name()+"/raw-consume-again"]) / 2
	if raw == 0 || len(rates) < len(cases)+2 {
		return // filtered by -bench
	}
	fmt.Printf("raw kafka-go consume, mean of the first and last run: %.0f events/s\n", raw)
	for _, tc := range cases {
		r := rates[b.Name()+"/"+tc.name]
		fmt.Printf("%-18s %9.0f events/s  %.2f x raw\n", tc.name, r, r/raw)
	}
}

// benchArchive is the archive sink on a fresh database of the local
// Postgres (TEST_DATABASE_URL), with the migrations and partitions in
// place, as forward run prepares it. Postgres's own CPU is not in the
// figures: it is another process.
func benchArchive(b *testing.B) *sinks.Postgres {
	u := testkit.MustPostgres(b)
	if err := migrations.Apply(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	p, err := sinks.NewPostgres(sinks.PostgresConfig{URL: u, MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	if _, err := p.Maintain(context.Background(), time.Now()); err != nil {
		b.Fatal(err)
	}
	return p
}
