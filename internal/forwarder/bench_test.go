package forwarder_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
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
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	// The broker runs in a process of its own: in this one, the garbage
	// collector would mark its million stored records on every cycle.
	brokers, broker := testkit.MustKafkaProcess(b, "../testkit/kfakebroker")
	topic := testkit.Name("bench")
	fillTopic(b, brokers, topic, n)

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
				forwardAll(b, brokers, topic, group, n, tc.sink, tc.format, tc.batch, tc.senders, logger)
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

// measure runs fn b.N times with a fresh group each and reports events/s,
// CPU µs per event of this process and of the broker's, and the peak heap.
func measure(b *testing.B, n int, broker *testkit.Proc, fn func(group string)) float64 {
	var cpu, brokerCPU time.Duration
	var peak uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	runtime.GC() // the previous run's garbage is not this one's
	resetPeakRSS()
	if dir := os.Getenv("BENCH_PROFILE_DIR"); dir != "" {
		// A CPU profile of the measured runs only, without the topic's
		// filling: go test -cpuprofile would mix both.
		f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(b.Name(), "/", "_")+".cpu"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before, brokerBefore := cpuTime(), procCPU(b, broker)
		fn(testkit.Name("bench-group"))
		cpu += cpuTime() - before
		brokerCPU += procCPU(b, broker) - brokerBefore
	}
	b.StopTimer()
	close(stop)
	events := float64(n * b.N)
	rate := events / b.Elapsed().Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(float64(brokerCPU.Microseconds())/events, "broker-cpu-µs/event")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
	}
	return rate
}

func procCPU(b *testing.B, p *testkit.Proc) time.Duration {
	d, err := p.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// forwardAll runs a forwarder until the group has committed n records.
func forwardAll(b *testing.B, brokers, topic, group string, n int, sink forwarder.Sink, format forwarder.Format, batch, senders int, log zerolog.Logger) {
	c, err := consumer.New(consumer.Config{Brokers: []string{brokers}, GroupID: group, Topics: []string{topic},
		Dialer: kafka.DefaultDialer, MaxWait: 100 * time.Millisecond, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	counting := &countingSource{Consumer: c, target: int64(n)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counting.done = cancel
	f := forwarder.New(forwarder.Config{Sink: "bench", DLQTopic: topic + "-dlq", BatchSize: batch, BatchBytes: 8 << 20, Senders: senders,
		BatchWait: 50 * time.Millisecond, Logger: log}, counting, sink, format, nil)
	if err := f.Run(ctx); err != nil {
		b.Fatal(err)
	}
	if counting.committed.Load() < int64(n) {
		b.Fatalf("committed %d of %d", counting.committed.Load(), n)
	}
}

// countingSource ends the run once n records are committed. It counts
// offsets, not messages: a commit needs only the last message of each
// partition, and the forwarder may pass no more.
type countingSource struct {
	*consumer.Consumer
	target    int64
	committed atomic.Int64
	done      context.CancelFunc

	mu   sync.Mutex
	ends map[int]int64 // partition -> committed offset (one topic)
}

func (c *countingSource) Commit(ctx context.Context, msgs ...kafka.Message) error {
	err := c.Consumer.Commit(ctx, msgs...)
	c.mu.Lock()
	if c.ends == nil {
		c.ends = map[int]int64{}
	}
	for _, m := range msgs {
		if e := m.Offset + 1; e > c.ends[m.Partition] {
			c.committed.Add(e - c.ends[m.Partition])
			c.ends[m.Partition] = e
		}
	}
	c.mu.Unlock()
	if c.committed.Load() >= c.target {
		c.done()
	}
	return err
}

// fillTopic writes n simulator events to topic.
func fillTopic(b *testing.B, brokers, topic string, n int) {
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 1, APIKey: "k", History: 7 * 24 * time.Hour, HistoryEvents: n, LateFraction: -1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	client, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	w, err := publish.New(publish.Config{Brokers: []string{brokers}, Compression: "lz4", Transport: testkit.Transport(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	cursor, written, since := "", 0, time.Now().Add(-8*24*time.Hour)
	for {
		page, err := client.FetchPage(context.Background(), since, cursor)
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]kafka.Message, len(page.Events))
		for i, ev := range page.Events {
			msgs[i] = record.Event(topic, ev)
		}
		if err := w.Write(context.Background(), msgs); err != nil {
			b.Fatal(err)
		}
		written += len(msgs)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if written != n {
		b.Fatalf("wrote %d events, want %d", written, n)
	}
}

// countingHEC answers like HEC (gzip bodies, {"text":"Success","code":0})
// and counts events, one per line as the HEC sink writes them. Like any
// server it reuses its decompressors and read buffers; it reads and
// decompresses every byte.
func countingHEC(b *testing.B) (string, *atomic.Int64) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr := gzReaders.Get().(*gzip.Reader)
			defer gzReaders.Put(zr)
			if err := zr.Reset(r.Body); err != nil {
				http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
				return
			}
			body = zr
		}
		n, err := countLines(body)
		if err != nil {
			http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
			return
		}
		count.Add(int64(n))
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	b.Cleanup(srv.Close)
	return srv.URL, &count
}

var (
	gzReaders   = sync.Pool{New: func() any { return new(gzip.Reader) }}
	readBuffers = sync.Pool{New: func() any { return make([]byte, 256<<10) }}
)

// countLines reads r to the end and counts its newlines.
func countLines(r io.Reader) (int, error) {
	buf := readBuffers.Get().([]byte)
	defer readBuffers.Put(buf)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// countingElastic answers _bulk with one 201 item per action line.
func countingElastic(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lines, err := countLines(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := lines / 2
		out := make([]byte, 0, 64+n*32)
		out = append(out, `{"took":1,"errors":false,"items":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"create":{"status":201}}`...)
		}
		out = append(out, "]}"...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// countingSyslog reads RFC 6587 octet-counted frames and counts them.
func countingSyslog(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					l, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(l[:len(l)-1])
					if err != nil {
						return
					}
					if _, err := br.Discard(size); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
