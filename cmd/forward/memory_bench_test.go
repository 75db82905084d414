package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
)

// BenchmarkForwardMemory runs the real binary (`forward run`, default
// settings but for where to send) over a backlog of BENCH_MEMORY_EVENTS
// (default 1,000,000) simulator events, once per sink, and reports the
// peak resident memory of the forward process alone (VmHWM, read from
// /proc before it is stopped) and its rate. The broker runs in a process
// of its own, the counting receivers in the benchmark's: neither counts.
// The rate includes the process's start and joining the group; the CPU
// per event is the forward process's own.
// BENCH_MEMORY_LIMIT, when set, is passed as FORWARD_MEMORY_LIMIT. The
// raw kafka-go consume of the same topic is measured first, in this
// process: x-raw is each sink's rate against it.
func BenchmarkForwardMemory(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_MEMORY_EVENTS")); err == nil && v > 0 {
		n = v
	}
	brokers, _ := testkit.MustKafkaProcess(b, "../../internal/testkit/kfakebroker")
	d := &deployment{brokers: brokers, topic: testkit.Name("events"), dlq: testkit.Name("dlq")}
	benchkit.FillTopic(b, brokers, d.topic, n)
	raw := rawConsumeRate(b, brokers, d.topic, n)
	hecURL, _ := benchkit.CountingHEC(b)
	sinks := []struct {
		name string
		env  testkit.Env
	}{
		{"splunk-hec", testkit.Env{"SINK": "splunk", "SPLUNK_HEC_URL": hecURL, "SPLUNK_HEC_TOKEN": "t"}},
		{"splunk-hec-no-gzip", testkit.Env{"SINK": "splunk", "SPLUNK_HEC_URL": hecURL, "SPLUNK_HEC_TOKEN": "t", "SPLUNK_HEC_GZIP": "false"}},
		{"elastic", testkit.Env{"SINK": "elastic", "ELASTIC_URL": benchkit.CountingElastic(b), "ELASTIC_API_KEY": "k"}},
		{"syslog-tcp", testkit.Env{"SINK": "syslog", "SYSLOG_ADDR": benchkit.CountingSyslog(b)}},
		{"file", testkit.Env{"SINK": "file", "FILE_PATH": filepath.Join(b.TempDir(), "events.json")}},
	}
	for _, s := range sinks {
		b.Run(s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				group := testkit.Name("forward-" + s.name)
				env := s.env.With(map[string]string{"KAFKA_BROKERS": brokers, "KAFKA_TOPIC": d.topic, "FORWARD_ALERTS": "false",
					"KAFKA_DLQ_TOPIC": d.dlq, "KAFKA_GROUP_ID": group, "METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "warn",
					"FORWARD_MEMORY_LIMIT": os.Getenv("BENCH_MEMORY_LIMIT")})
				start := time.Now()
				p := testkit.Start(b, forwardBin, env, "run")
				hwm := forwardToEnd(b, d, group, p)
				elapsed := time.Since(start)
				cpu, err := p.CPUTime()
				if err != nil {
					b.Fatal(err)
				}
				p.Stop()
				if path := env["FILE_PATH"]; path != "" {
					_ = os.Remove(path)
				}
				b.ReportMetric(float64(hwm)/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
				b.ReportMetric(float64(n)/elapsed.Seconds()/raw, "x-raw")
				b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/event")
			}
		})
	}
}

// rawConsumeRate measures the raw kafka-go consume of the topic in this
// process (after one unmeasured read, which costs the broker more), as
// BenchmarkForward does, and reports its rate and CPU per event; it
// returns the rate. The receivers are idle meanwhile.
func rawConsumeRate(b *testing.B, brokers, topic string, n int) float64 {
	benchkit.RawConsume(b, brokers, topic, testkit.Name("warm-up"), n)
	var rate float64
	b.Run("raw-consume", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start, cpu := time.Now(), processCPU()
			benchkit.RawConsume(b, brokers, topic, testkit.Name("raw"), n)
			rate = float64(n) / time.Since(start).Seconds()
			b.ReportMetric(rate, "events/s")
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(n), "cpu-µs/event")
		}
	})
	return rate
}

// processCPU is this process's CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
