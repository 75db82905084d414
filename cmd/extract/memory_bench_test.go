package main

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// BenchmarkExtractMemory runs the real binary (`extract once`, rate limit
// off) over backlogs of different sizes and reports its peak resident
// memory: flat in the size of the backlog, since at most a handful of pages
// are in flight whatever the backlog. The simulator and the broker run in
// the benchmark's process, so they do not count.
func BenchmarkExtractMemory(b *testing.B) {
	for _, n := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := newStack(b, pigmentsim.Config{Seed: 3, History: 48 * time.Hour, HistoryEvents: n, LateFraction: -1})
				p := testkit.Start(b, extractBin, s.ExtractEnv(nil), "once")
				if code := p.Wait(5 * time.Minute); code != 0 {
					b.Fatalf("extract once exited %d: %s", code, p.Stderr())
				}
				ru := p.State().SysUsage().(*syscall.Rusage)
				b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
				b.ReportMetric(float64(n), "events")
			}
		})
	}
}
