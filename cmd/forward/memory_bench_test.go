package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// BenchmarkForwardMemory runs the real binary (`forward run`, default
// settings but for where to send) over a backlog of BENCH_MEMORY_EVENTS
// (default 1,000,000) simulator events, once per sink in each of
// BENCH_ROUNDS rounds (default 5), and reports per run the peak resident
// memory of the forward process alone (VmHWM, read from /proc before it is
// stopped), its rate and its CPU per event. The broker runs in a process of
// its own, the counting receivers in the benchmark's: neither counts.
// The rate includes the process's start and joining the group.
//
// Each round starts with the raw kafka-go consume of the same topic (in
// this process, the receivers idle): every sink's x-raw and x-raw-cpu are
// against the raw consume of its own round, since the machine's speed
// drifts between rounds. At the end a table gives, per sink, the median
// of the rounds and their range: the figures BENCHMARKS.md states.
// BENCH_FORWARD_ENV ("K=V K=V") sets more of forward's environment, to
// measure a setting against the defaults (FORWARD_MEMORY_LIMIT=64MiB, say).
func BenchmarkForwardMemory(b *testing.B) {
	n := benchkit.EnvInt("BENCH_MEMORY_EVENTS", 1_000_000)
	rounds := benchkit.EnvInt("BENCH_ROUNDS", 5)
	brokers, _ := testkit.MustKafkaProcess(b, "../../internal/testkit/kfakebroker")
	d := &deployment{brokers: brokers, topic: testkit.Name("events"), dlq: testkit.Name("dlq")}
	benchkit.FillTopic(b, brokers, d.topic, n)
	benchkit.RawConsume(b, brokers, d.topic, testkit.Name("warm-up"), n) // the broker's first read costs it more
	hecURL, _ := benchkit.CountingHEC(b)
	sinks := []benchSink{
		{"splunk-hec", testkit.Env{"SINK": "splunk", "SPLUNK_HEC_URL": hecURL, "SPLUNK_HEC_TOKEN": "t"}, nil},
		{"splunk-hec-no-gzip", testkit.Env{"SINK": "splunk", "SPLUNK_HEC_URL": hecURL, "SPLUNK_HEC_TOKEN": "t", "SPLUNK_HEC_GZIP": "false"}, nil},
		{"elastic", testkit.Env{"SINK": "elastic", "ELASTIC_URL": benchkit.CountingElastic(b), "ELASTIC_API_KEY": "k"}, nil},
		{"syslog-tcp", testkit.Env{"SINK": "syslog", "SYSLOG_ADDR": benchkit.CountingSyslog(b)}, nil},
		{"file", testkit.Env{"SINK": "file", "FILE_PATH": filepath.Join(b.TempDir(), "events.json")}, nil},
		// The archive (issue 11 states its own targets), into a fresh
		// database each run: archiving the same events again would take
		// the path of conflicts instead.
		{"postgres-archive", testkit.Env{"SINK": "postgres"}, func(b *testing.B) map[string]string {
			return map[string]string{"ARCHIVE_DATABASE_URL": testkit.MustPostgres(b)}
		}},
	}
	runs := map[string][]benchRun{}
	for range rounds {
		raw := measureRaw(b, brokers, d.topic, n)
		if raw.rate > 0 {
			runs["raw kafka-go consume"] = append(runs["raw kafka-go consume"], raw)
		}
		for _, s := range sinks {
			b.Run(s.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					env := s.env
					if s.fresh != nil {
						env = env.With(s.fresh(b))
					}
					recv := benchkit.CPU()
					r := forwardOnce(b, d, env, n)
					r.recvCPU = float64((benchkit.CPU() - recv).Microseconds()) / float64(n)
					b.ReportMetric(r.recvCPU, "receiver-cpu-µs/event")
					b.ReportMetric(r.sysCPU, "kernel-cpu-µs/event")
					if raw.rate > 0 { // not when -bench filtered the raw consume out
						r.xRate, r.xCPU = r.rate/raw.rate, r.cpu/raw.cpu
					}
					runs[s.name] = append(runs[s.name], r)
					b.ReportMetric(r.rss, "peak-rss-MiB")
					b.ReportMetric(r.rate, "events/s")
					b.ReportMetric(r.cpu, "cpu-µs/event")
					if raw.rate > 0 {
						b.ReportMetric(r.xRate, "x-raw")
						b.ReportMetric(r.xCPU, "x-raw-cpu")
					}
				}
			})
		}
	}
	fmt.Printf("\n%d events, %d rounds; medians, (range)\n\n", n, rounds)
	fmt.Println("| path | events/s | × raw rate | CPU µs/event | × raw CPU | of which kernel µs/event | peak RSS MiB |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, name := range append([]string{"raw kafka-go consume"}, sinkNames(sinks)...) {
		rs := runs[name]
		if len(rs) == 0 {
			continue // filtered by -bench
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", name, spread(rs, "%.0f", func(r benchRun) float64 { return r.rate }),
			spread(rs, "%.2f", func(r benchRun) float64 { return r.xRate }), spread(rs, "%.2f", func(r benchRun) float64 { return r.cpu }),
			spread(rs, "%.2f", func(r benchRun) float64 { return r.xCPU }), spread(rs, "%.2f", func(r benchRun) float64 { return r.sysCPU }),
			spread(rs, "%.1f", func(r benchRun) float64 { return r.rss }))
	}
}

// benchRun is one measured pass over the topic: events/s, CPU µs per event,
// the part of that CPU spent in the kernel (system calls: writing
// sockets and files; forward runs only), peak RSS in MiB (forward runs
// only), the ratios to its round's raw
// consume, and the CPU µs per event of this process meanwhile: the
// receivers' (and the polling of the group's offsets).
type benchRun struct{ rate, cpu, sysCPU, rss, xRate, xCPU, recvCPU float64 }

// forwardOnce runs `forward run` with env as a fresh group until it has
// committed the whole topic, and measures it.
func forwardOnce(b *testing.B, d *deployment, sinkEnv testkit.Env, n int) benchRun {
	group := testkit.Name("forward")
	env := sinkEnv.With(map[string]string{"KAFKA_BROKERS": d.brokers, "KAFKA_TOPIC": d.topic, "FORWARD_ALERTS": "false",
		"KAFKA_DLQ_TOPIC": d.dlq, "KAFKA_GROUP_ID": group, "METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "warn"})
	for _, kv := range strings.Fields(os.Getenv("BENCH_FORWARD_ENV")) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	start := time.Now()
	p := testkit.Start(b, forwardBin, env, "run")
	hwm := forwardToEnd(b, d, group, p)
	elapsed := time.Since(start)
	user, sys, err := p.CPUTimes()
	if err != nil {
		b.Fatal(err)
	}
	cpu := user + sys
	p.Stop()
	if path := env["FILE_PATH"]; path != "" {
		_ = os.Remove(path)
	}
	return benchRun{rate: float64(n) / elapsed.Seconds(), cpu: float64(cpu.Microseconds()) / float64(n),
		sysCPU: float64(sys.Microseconds()) / float64(n), rss: float64(hwm) / (1 << 20)}
}

// measureRaw measures the raw kafka-go consume of the topic in this
// process, as BenchmarkForward does: its rate and CPU per event.
func measureRaw(b *testing.B, brokers, topic string, n int) benchRun {
	var r benchRun
	b.Run("raw-consume", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start, cpu := time.Now(), benchkit.CPU()
			benchkit.RawConsume(b, brokers, topic, testkit.Name("raw"), n)
			r = benchRun{rate: float64(n) / time.Since(start).Seconds(), cpu: float64((benchkit.CPU() - cpu).Microseconds()) / float64(n), xRate: 1, xCPU: 1}
			b.ReportMetric(r.rate, "events/s")
			b.ReportMetric(r.cpu, "cpu-µs/event")
		}
	})
	return r
}

// spread renders the median of f over rs and, with several runs, their
// range: "0.64 (0.58 to 0.70)".
func spread(rs []benchRun, format string, f func(benchRun) float64) string {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	if v[0] == 0 {
		return ""
	}
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	if len(v) == 1 {
		return fmt.Sprintf(format, med)
	}
	return fmt.Sprintf(format+" ("+format+" to "+format+")", med, v[0], v[len(v)-1])
}

// benchSink is a sink of the benchmark: its name and environment, and
// what each run needs afresh.
type benchSink struct {
	name  string
	env   testkit.Env
	fresh func(*testing.B) map[string]string
}

func sinkNames(s []benchSink) []string {
	names := make([]string, len(s))
	for i, x := range s {
		names[i] = x.name
	}
	return names
}

// forwardToEnd waits until group committed the end of every partition of
// the topic, and returns the process's peak resident size meanwhile.
func forwardToEnd(b *testing.B, d *deployment, group string, p *testkit.Proc) int64 {
	end := testkit.EndOffsets(b, d.brokers, d.topic)
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		if p.Exited() {
			b.Fatalf("forward run exited: %s", testkit.Tail(p.Stderr(), 4096))
		}
		done, committed := true, d.committed(b, group)
		for part, off := range end {
			done = done && committed[part] >= off
		}
		if done {
			return vmHWM(b, p.Pid())
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.Fatal("forward run did not commit the whole topic within 15 minutes")
	return 0
}

// vmHWM reads a process's peak resident set size.
func vmHWM(b *testing.B, pid int) int64 {
	rss, err := benchkit.PeakRSS(pid)
	if err != nil {
		b.Fatal(err)
	}
	return rss
}
